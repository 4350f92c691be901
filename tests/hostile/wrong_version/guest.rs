//! Exports `landlord:compute/provider@0.2.0`, a version this host does not speak.

/// Bindings for a future version of the contract (generated code uses `unsafe`).
#[allow(unsafe_code, missing_docs)]
mod bindings {
    wit_bindgen::generate!({
        inline: "
            package landlord:compute@0.2.0;
            interface provider {
                name: func() -> string;
            }
            world compute-provider {
                export provider;
            }
        ",
    });

    #[cfg(target_arch = "wasm32")]
    use super::FromTheFuture;
    // Exported only in the component: a native build cannot link the names.
    #[cfg(target_arch = "wasm32")]
    export!(FromTheFuture);
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct FromTheFuture;

impl bindings::exports::landlord::compute::provider::Guest for FromTheFuture {
    fn name() -> String {
        "wrong-version".to_owned()
    }
}
