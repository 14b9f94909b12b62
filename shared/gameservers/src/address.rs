//! Where a game server is reached: the address players are handed and the one the
//! scaler probes, from what ECS and EC2 report. Pure: no I/O.
//!
//! - awsvpc: the task's own private IP; players get the interface's public IP instead
//!   when configured for clients on the internet. Ports are the container ports.
//! - bridge: the container instance's IP, and the host port ECS bound to each
//!   container port (`networkBindings`, so dynamic host ports work).
//! - host: the container instance's IP and the container ports (or the bound host
//!   port when ECS reports one).
//!
//! The scaler always probes the private address: it runs in the tasks' network.

use crate::config::{ClientAddress, NetworkMode};
use crate::ec2::InstanceAddresses;
use crate::ecs::GameServerTask;

/// Where one server is reached; `None` while not (yet) known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// The host and port players connect to.
    pub client: Option<(String, u16)>,
    /// `host:port` the scaler probes.
    pub probe: Option<String>,
}

/// What is known about the task's network beyond the task itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct NetworkFacts<'a> {
    /// The container instance's addresses (EC2 launch type).
    pub instance: Option<&'a InstanceAddresses>,
    /// The public IP of the task's network interface (awsvpc).
    pub interface_public_ip: Option<&'a str>,
}

/// The ports a server is reached on.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub game: u16,
    pub capacity: u16,
}

pub fn endpoints(
    task: &GameServerTask,
    mode: NetworkMode,
    clients: ClientAddress,
    ports: Ports,
    facts: NetworkFacts<'_>,
) -> Endpoints {
    let bound = |container: u16| {
        task.bindings
            .iter()
            .find(|(c, _)| *c == container)
            .map(|(_, h)| *h)
    };
    let (private, public, game, capacity) = match mode {
        NetworkMode::Awsvpc => (
            task.private_ip.clone(),
            facts.interface_public_ip.map(str::to_string),
            Some(ports.game),
            Some(ports.capacity),
        ),
        NetworkMode::Bridge => (
            facts.instance.and_then(|i| i.private_ip.clone()),
            facts.instance.and_then(|i| i.public_ip.clone()),
            bound(ports.game),
            bound(ports.capacity),
        ),
        NetworkMode::Host => (
            facts.instance.and_then(|i| i.private_ip.clone()),
            facts.instance.and_then(|i| i.public_ip.clone()),
            Some(bound(ports.game).unwrap_or(ports.game)),
            Some(bound(ports.capacity).unwrap_or(ports.capacity)),
        ),
    };
    let client_host = match clients {
        ClientAddress::Private => private.clone(),
        ClientAddress::Public => public,
    };
    Endpoints {
        client: client_host.zip(game),
        probe: private.zip(capacity).map(|(h, p)| format!("{h}:{p}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(bindings: Vec<(u16, u16)>) -> GameServerTask {
        GameServerTask {
            arn: "t".into(),
            last_status: "RUNNING".into(),
            private_ip: Some("10.0.1.5".into()),
            eni_id: Some("eni-1".into()),
            container_instance: Some("ci".into()),
            bindings,
            in_service: false,
        }
    }

    const PORTS: Ports = Ports {
        game: 7777,
        capacity: 8080,
    };

    fn instance() -> InstanceAddresses {
        InstanceAddresses {
            private_ip: Some("10.0.9.9".into()),
            public_ip: Some("198.51.100.7".into()),
        }
    }

    #[test]
    fn awsvpc_hands_out_the_task_ip_or_its_public_ip() {
        let facts = NetworkFacts {
            instance: None,
            interface_public_ip: Some("203.0.113.4"),
        };
        let e = endpoints(
            &task(vec![]),
            NetworkMode::Awsvpc,
            ClientAddress::Private,
            PORTS,
            facts,
        );
        assert_eq!(e.client, Some(("10.0.1.5".into(), 7777)));
        assert_eq!(e.probe.as_deref(), Some("10.0.1.5:8080"));
        let e = endpoints(
            &task(vec![]),
            NetworkMode::Awsvpc,
            ClientAddress::Public,
            PORTS,
            facts,
        );
        assert_eq!(e.client, Some(("203.0.113.4".into(), 7777)));
        assert_eq!(
            e.probe.as_deref(),
            Some("10.0.1.5:8080"),
            "probed privately"
        );
        let none = NetworkFacts::default();
        let e = endpoints(
            &task(vec![]),
            NetworkMode::Awsvpc,
            ClientAddress::Public,
            PORTS,
            none,
        );
        assert_eq!(
            e.client, None,
            "no public IP: not handed to internet clients"
        );
    }

    #[test]
    fn bridge_uses_the_instance_ip_and_the_bound_host_ports() {
        let i = instance();
        let facts = NetworkFacts {
            instance: Some(&i),
            interface_public_ip: None,
        };
        let t = task(vec![(7777, 32768), (8080, 32769)]);
        let e = endpoints(
            &t,
            NetworkMode::Bridge,
            ClientAddress::Private,
            PORTS,
            facts,
        );
        assert_eq!(e.client, Some(("10.0.9.9".into(), 32768)));
        assert_eq!(e.probe.as_deref(), Some("10.0.9.9:32769"));
        let e = endpoints(&t, NetworkMode::Bridge, ClientAddress::Public, PORTS, facts);
        assert_eq!(e.client, Some(("198.51.100.7".into(), 32768)));
        // Not bound yet (still starting): nothing known.
        let e = endpoints(
            &task(vec![]),
            NetworkMode::Bridge,
            ClientAddress::Private,
            PORTS,
            facts,
        );
        assert_eq!(e, Endpoints::default());
        // Host networking: the container ports.
        let e = endpoints(
            &task(vec![]),
            NetworkMode::Host,
            ClientAddress::Private,
            PORTS,
            facts,
        );
        assert_eq!(e.client, Some(("10.0.9.9".into(), 7777)));
    }
}
