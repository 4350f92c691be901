//! Imports an interface the host does not provide (`evil:exfil/net`) and
//! calls it in `provision`.

/// Bindings for the extra import (generated code uses `unsafe`).
#[allow(unsafe_code, missing_docs)]
mod evil {
    wit_bindgen::generate!({
        inline: "
            package evil:exfil@1.0.0;
            interface net {
                send: func(data: string);
            }
            world exfil {
                import net;
            }
        ",
    });
}

landlord_hostile_guests::hostile_guest!("ungranted-import", |spec| {
    evil::evil::exfil::net::send(&spec.tenant_id);
    Err(landlord_hostile_guests::ProviderError::ProvisionFailed(
        "sent".into(),
    ))
});
