//! EC2 adapter (the only module that calls EC2): the addresses ECS does not report
//! itself, those of container instances (EC2 launch type) and the public IP of a task's
//! network interface (awsvpc).

use std::collections::HashMap;

use aws_sdk_ec2::Client;
use hangar_aws::AwsError;

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
                .describe_instances()
                .set_instance_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| AwsError::new("DescribeInstances", e))?;
            for i in r.reservations().iter().flat_map(|r| r.instances()) {
                if let Some(id) = i.instance_id() {
                    out.insert(
                        id.to_string(),
                        InstanceAddresses {
                            private_ip: non_empty(i.private_ip_address()),
                            public_ip: non_empty(i.public_ip_address()),
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
                .describe_network_interfaces()
                .set_network_interface_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| AwsError::new("DescribeNetworkInterfaces", e))?;
            for n in r.network_interfaces() {
                let public = n.association().and_then(|a| non_empty(a.public_ip()));
                if let (Some(id), Some(ip)) = (n.network_interface_id(), public) {
                    out.insert(id.to_string(), ip);
                }
            }
        }
        Ok(out)
    }
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}
