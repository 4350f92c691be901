//! An in-memory Docker engine for the unit tests of [`crate::ops`]: enough
//! of the engine's behaviour (names, labels, conflicts, port assignment,
//! missing images, failures on request) to test the operations natively.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::engine::{
    ContainerConfig, ContainerDetails, ContainerState, ContainerSummary, Engine, EngineError,
    Health, HostBinding, NetworkSettings, NetworkSummary,
};
use crate::plan::{OWNER, OWNER_LABEL, PROVIDER_LABEL, TENANT_LABEL};

/// One container of the fake engine.
#[derive(Debug, Clone)]
pub(crate) struct FakeContainer {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub state: String,
    pub body: Value,
    pub ports: BTreeMap<String, Option<Vec<HostBinding>>>,
    pub health: Option<String>,
}

/// One network of the fake engine.
#[derive(Debug, Clone)]
pub(crate) struct FakeNetwork {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// Everything the fake engine holds, open to the tests.
#[derive(Debug, Default)]
pub(crate) struct World {
    pub containers: Vec<FakeContainer>,
    pub networks: Vec<FakeNetwork>,
    /// Images present.
    pub images: BTreeSet<String>,
    /// Images a pull finds.
    pub pullable: BTreeSet<String>,
    /// Engine names of containers whose start fails (a port taken).
    pub fail_start: BTreeSet<String>,
    /// Every call that changed something, as `verb name`.
    pub calls: Vec<String>,
    /// No answer to anything.
    pub down: bool,
    next_id: u32,
    next_port: u16,
}

/// The fake engine.
#[derive(Default)]
pub(crate) struct FakeEngine {
    pub world: RefCell<World>,
}

impl FakeEngine {
    /// An engine holding the busybox test images.
    pub(crate) fn new() -> Self {
        let engine = FakeEngine::default();
        engine.world.borrow_mut().images.extend([
            "landlord-test/busybox:1".to_owned(),
            "landlord-test/busybox:2".to_owned(),
        ]);
        engine
    }

    /// Calls recorded so far whose verb is `verb`.
    pub(crate) fn calls(&self, verb: &str) -> Vec<String> {
        self.world
            .borrow()
            .calls
            .iter()
            .filter(|call| call.split(' ').next() == Some(verb))
            .cloned()
            .collect()
    }

    /// The container named `name` (engine name).
    pub(crate) fn container(&self, name: &str) -> Option<FakeContainer> {
        self.world
            .borrow()
            .containers
            .iter()
            .find(|container| container.name == name)
            .cloned()
    }

    fn up(&self) -> Result<(), EngineError> {
        if self.world.borrow().down {
            Err(EngineError::Unreachable(
                "cannot reach the Docker engine at http://docker.localhost: connection refused"
                    .into(),
            ))
        } else {
            Ok(())
        }
    }
}

fn api(status: u16, message: impl Into<String>) -> EngineError {
    EngineError::Api {
        status,
        message: message.into(),
    }
}

fn is_tenants(labels: &BTreeMap<String, String>, tenant: &str) -> bool {
    labels.get(OWNER_LABEL).map(String::as_str) == Some(OWNER)
        && labels.get(PROVIDER_LABEL).map(String::as_str) == Some(crate::NAME)
        && labels.get(TENANT_LABEL).map(String::as_str) == Some(tenant)
}

impl World {
    fn find(&mut self, id_or_name: &str) -> Option<&mut FakeContainer> {
        self.containers
            .iter_mut()
            .find(|container| container.id == id_or_name || container.name == id_or_name)
    }
}

impl Engine for FakeEngine {
    fn api_version(&self) -> Result<String, EngineError> {
        self.up()?;
        Ok("1.41".into())
    }

    fn list_containers(&self, tenant: &str) -> Result<Vec<ContainerSummary>, EngineError> {
        self.up()?;
        Ok(self
            .world
            .borrow()
            .containers
            .iter()
            .filter(|container| is_tenants(&container.labels, tenant))
            .map(|container| ContainerSummary {
                id: container.id.clone(),
                labels: container.labels.clone(),
                state: container.state.clone(),
            })
            .collect())
    }

    fn inspect_container(&self, id_or_name: &str) -> Result<Option<ContainerDetails>, EngineError> {
        self.up()?;
        let mut world = self.world.borrow_mut();
        Ok(world.find(id_or_name).map(|container| ContainerDetails {
            restart_count: 0,
            state: ContainerState {
                status: container.state.clone(),
                health: container.health.clone().map(|status| Health { status }),
                ..Default::default()
            },
            config: ContainerConfig {
                labels: container.labels.clone(),
            },
            network_settings: NetworkSettings {
                ports: container.ports.clone(),
            },
        }))
    }

    fn create_container(&self, name: &str, body: &Value) -> Result<String, EngineError> {
        self.up()?;
        let mut world = self.world.borrow_mut();
        if let Some(holder) = world.find(name) {
            return Err(api(
                409,
                format!(
                    "Conflict. The container name \"/{name}\" is already in use by container \"{}\"",
                    holder.id
                ),
            ));
        }
        let image = body["Image"].as_str().unwrap_or_default();
        if !world.images.contains(image) {
            return Err(api(404, format!("No such image: {image}")));
        }
        let network = body["HostConfig"]["NetworkMode"]
            .as_str()
            .unwrap_or_default();
        if !world.networks.iter().any(|n| n.name == network) {
            return Err(api(404, format!("network {network} not found")));
        }
        world.next_id += 1;
        let id = format!("c{:04}", world.next_id);
        let labels = serde_json::from_value(body["Labels"].clone()).unwrap_or_default();
        world.containers.push(FakeContainer {
            id: id.clone(),
            name: name.into(),
            labels,
            state: "created".into(),
            body: body.clone(),
            ports: BTreeMap::new(),
            health: None,
        });
        world.calls.push(format!("create {name}"));
        Ok(id)
    }

    fn start_container(&self, id: &str) -> Result<(), EngineError> {
        self.up()?;
        let mut world = self.world.borrow_mut();
        let World {
            containers,
            fail_start,
            calls,
            next_port,
            ..
        } = &mut *world;
        let Some(container) = containers.iter_mut().find(|c| c.id == id || c.name == id) else {
            return Err(api(404, format!("No such container: {id}")));
        };
        if container.state == "running" {
            return Ok(());
        }
        if fail_start.contains(&container.name) {
            return Err(api(
                500,
                format!(
                    "driver failed programming external connectivity on endpoint {}: Bind for \
                     127.0.0.1:8080 failed: port is already allocated",
                    container.name
                ),
            ));
        }
        let bindings = container.body["HostConfig"]["PortBindings"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (key, wanted) in bindings {
            let ip = wanted[0]["HostIp"].as_str().unwrap_or_default().to_owned();
            let port = match wanted[0]["HostPort"].as_str().unwrap_or_default() {
                "" => {
                    *next_port = (*next_port).max(32767) + 1;
                    next_port.to_string()
                }
                given => given.to_owned(),
            };
            container.ports.insert(
                key,
                Some(vec![HostBinding {
                    host_ip: ip,
                    host_port: port,
                }]),
            );
        }
        container.state = "running".into();
        calls.push(format!("start {}", container.name));
        Ok(())
    }

    fn remove_container(&self, id: &str) -> Result<(), EngineError> {
        self.up()?;
        let mut world = self.world.borrow_mut();
        if let Some(at) = world
            .containers
            .iter()
            .position(|c| c.id == id || c.name == id)
        {
            let container = world.containers.remove(at);
            world.calls.push(format!("remove {}", container.name));
        }
        Ok(())
    }

    fn list_networks(&self, tenant: &str) -> Result<Vec<NetworkSummary>, EngineError> {
        self.up()?;
        Ok(self
            .world
            .borrow()
            .networks
            .iter()
            .filter(|network| is_tenants(&network.labels, tenant))
            .map(|network| NetworkSummary {
                id: network.id.clone(),
                name: network.name.clone(),
            })
            .collect())
    }

    fn create_network(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<String, EngineError> {
        self.up()?;
        let mut world = self.world.borrow_mut();
        if world.networks.iter().any(|network| network.name == name) {
            return Err(api(409, format!("network with name {name} already exists")));
        }
        world.next_id += 1;
        let id = format!("n{:04}", world.next_id);
        world.networks.push(FakeNetwork {
            id: id.clone(),
            name: name.into(),
            labels: labels.clone(),
        });
        world.calls.push(format!("network-create {name}"));
        Ok(id)
    }

    fn remove_network(&self, id: &str) -> Result<(), EngineError> {
        self.up()?;
        let mut world = self.world.borrow_mut();
        let Some(at) = world.networks.iter().position(|n| n.id == id) else {
            return Ok(());
        };
        let name = world.networks[at].name.clone();
        if world
            .containers
            .iter()
            .any(|c| c.body["HostConfig"]["NetworkMode"] == name.as_str())
        {
            return Err(api(
                403,
                format!(
                    "error while removing network: network {name} id {id} has active endpoints"
                ),
            ));
        }
        world.networks.remove(at);
        world.calls.push(format!("network-remove {name}"));
        Ok(())
    }

    fn image_exists(&self, image: &str) -> Result<bool, EngineError> {
        self.up()?;
        Ok(self.world.borrow().images.contains(image))
    }

    fn pull_image(&self, image: &str) -> Result<(), EngineError> {
        self.up()?;
        let mut world = self.world.borrow_mut();
        world.calls.push(format!("pull {image}"));
        if world.pullable.contains(image) {
            world.images.insert(image.into());
            Ok(())
        } else {
            Err(api(
                500,
                "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host",
            ))
        }
    }
}
