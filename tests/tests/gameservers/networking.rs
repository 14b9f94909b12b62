//! Where players are sent: the EC2 launch type with bridge networking (the container
//! instance's address and the host port ECS bound), and awsvpc tasks with public IPs
//! when clients connect from the internet. moto's ECS reports no network bindings and
//! gives awsvpc tasks no public IP; the lab's front fills both in as ECS does.

use hangar_gameservers::decision::ServerState;
use hangar_tests::ecs::{self, Launch, Limits, NewServers, Sims};

use crate::support::{allocate, body, record, tick};

const FIXED: Limits = Limits {
    capacity: 10,
    up: 0,
    down: 1000,
    min: 0,
    max: 4,
};

/// What moto's EC2 (through the lab's front) reports: the raw XML answer of `action`,
/// read apart from the scaler's own EC2 client. moto routes a request by the service of
/// its credential scope and checks no signature.
async fn ec2_answer(lab: &ecs::EcsLab, action: &str) -> String {
    let config = lab.sdk_config(&hangar_tests::aws_config().await);
    let url = config
        .endpoint_url()
        .expect("the lab's endpoint")
        .to_string();
    reqwest::Client::new()
        .post(url)
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, \
             SignedHeaders=host, Signature=0",
        )
        .form(&[("Action", action), ("Version", "2016-11-15")])
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The texts of every `<tag>` element of `xml`.
fn texts(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(open.as_str())
        .skip(1)
        .filter_map(|rest| rest.split(close.as_str()).next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn bridge_tasks_are_reached_on_their_container_instance_at_the_bound_host_port() {
    let lab = ecs::lab_with(
        Launch::Ec2Bridge { instances: 3 },
        NewServers::with_capacity(10),
    )
    .await;
    // moto places one task with a dynamic host port per container instance.
    let arns = lab.run_tasks(3, None, true).await.unwrap();
    assert_eq!(arns.len(), 3);
    let (scaler, store) = ecs::scaler(&lab, FIXED, &[]).await;
    let r = tick(&scaler).await;
    assert_eq!((r.servers, r.probed, r.probe_failures), (3, 3, 0), "{r:?}");

    let mut ports = Vec::new();
    for arn in &arns {
        let rec = record(&store, arn).await;
        let sim = lab.server(arn);
        assert_eq!(rec.state, ServerState::Active, "{arn}");
        assert_eq!(
            rec.address(),
            Some(sim.addr.to_string()),
            "the instance's IP and the host port bound to the game port"
        );
        assert_ne!(
            rec.port, lab.game_port,
            "a dynamic host port, not the container port"
        );
        ports.push(rec.port);
    }
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), 3, "each task on its own host port");

    let a = body(&allocate(&scaler, "p1").await);
    let handed = a["address"].as_str().unwrap().to_string();
    assert!(
        arns.iter()
            .any(|arn| lab.server(arn).addr.to_string() == handed),
        "{handed}"
    );
}

#[tokio::test]
async fn internet_clients_get_the_container_instances_public_ip_under_bridge_networking() {
    let lab = ecs::lab_with(
        Launch::Ec2Bridge { instances: 1 },
        NewServers::with_capacity(10),
    )
    .await;
    let arn = lab.run_tasks(1, None, true).await.unwrap().remove(0);
    let (scaler, store) = ecs::scaler(&lab, FIXED, &[("GAMESERVER_ADDRESS", "public")]).await;
    let r = tick(&scaler).await;
    assert_eq!(r.probe_failures, 0, "probed on the private address: {r:?}");

    let public = texts(&ec2_answer(&lab, "DescribeInstances").await, "ipAddress");
    let rec = record(&store, &arn).await;
    let host = rec.host.clone().unwrap();
    assert!(
        public.contains(&host),
        "{host} is not an instance's public IP {public:?}"
    );
    assert_eq!(rec.port, lab.server(&arn).addr.port());
    assert_eq!(
        body(&allocate(&scaler, "p1").await)["address"],
        format!("{host}:{}", rec.port)
    );
}

#[tokio::test]
async fn internet_clients_get_the_public_ip_of_awsvpc_tasks_and_never_a_private_one() {
    let lab = ecs::lab(10).await;
    // Started by someone else without a public IP: never handed to internet clients.
    let private_only = lab.run_tasks(1, None, true).await.unwrap().remove(0);
    let (scaler, store) = ecs::scaler(
        &lab,
        Limits { min: 2, ..FIXED },
        &[("GAMESERVER_ADDRESS", "public")],
    )
    .await;
    // The scaler starts the second server, with a public IP (clients are on the internet).
    let r = tick(&scaler).await;
    assert_eq!(r.launched.len(), 1, "{r:?}");
    let launched = r.launched[0].clone();
    let r = tick(&scaler).await;
    assert_eq!(r.probe_failures, 0, "both probed privately: {r:?}");

    let rec = record(&store, &launched).await;
    let host = rec.host.clone().expect("a public IP");
    let public = texts(
        &ec2_answer(&lab, "DescribeNetworkInterfaces").await,
        "publicIp",
    );
    assert!(public.contains(&host), "{host} not in {public:?}");
    assert_eq!(rec.port, lab.game_port);

    let without = record(&store, &private_only).await;
    assert_eq!(
        without.state,
        ServerState::Active,
        "it runs and answers probes"
    );
    assert_eq!(
        without.host, None,
        "but has no address internet clients can reach"
    );

    for p in ["p1", "p2", "p3"] {
        assert_eq!(
            body(&allocate(&scaler, p).await)["address"],
            format!("{host}:{}", lab.game_port),
            "only the public server is handed out"
        );
    }
}
