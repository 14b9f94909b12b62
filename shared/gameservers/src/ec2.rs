//! EC2 adapter (the only module that calls EC2): the addresses ECS does not report
//! itself, those of container instances (EC2 launch type) and the public IP of a task's
//! network interface (awsvpc).

use std::collections::HashMap;

use hangar_aws::ec2::{numbered, Ec2Client as Client};

use crate::error::GameServersError;

/// The addresses of one EC2 instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceAddresses {
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
}

/// EC2 takes at most this many ids per call here.
const BATCH: usize = 100;

#[derive(Clone)]
pub struct Ec2 {
    client: Client,
}

impl Ec2 {
    pub fn new(client: Client) -> Self {
        Ec2 { client }
    }

    /// The addresses of the instances `ids`, by instance id.
    pub async fn instances(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, InstanceAddresses>, GameServersError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(BATCH) {
            let r = self
                .client
                .call("DescribeInstances", &numbered("InstanceId", chunk))
                .await?;
            for i in r.find("reservationSet/item/instancesSet/item") {
                if let Some(id) = i.text_of("instanceId") {
                    out.insert(
                        id.to_string(),
                        InstanceAddresses {
                            private_ip: i.text_of("privateIpAddress").map(str::to_string),
                            public_ip: i.text_of("ipAddress").map(str::to_string),
                        },
                    );
                }
            }
        }
        Ok(out)
    }

    /// The public IPs of the network interfaces `ids` that have one, by interface id.
    pub async fn public_ips(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, String>, GameServersError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(BATCH) {
            let r = self
                .client
                .call(
                    "DescribeNetworkInterfaces",
                    &numbered("NetworkInterfaceId", chunk),
                )
                .await?;
            for n in r.find("networkInterfaceSet/item") {
                let public = n.text_of("association/publicIp");
                if let (Some(id), Some(ip)) = (n.text_of("networkInterfaceId"), public) {
                    out.insert(id.to_string(), ip.to_string());
                }
            }
        }
        Ok(out)
    }
}
