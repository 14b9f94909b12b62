//! The loopback front before moto: forwards every request, and plays the parts of
//! ECS, EC2 and DynamoDB that moto lacks or that a local run needs.
//!
//! - RunTask starts a simulated game server per task (see [`crate::server`]); StopTask
//!   stops it. Private IPs in ECS and EC2 answers become loopback addresses
//!   ([`loopback_for`]), so every probe stays on 127.0.0.0/8.
//! - Bridge tasks on EC2 container instances get a host port per task, reported as the
//!   container's `networkBindings` (moto reports none), as ECS does for dynamic host
//!   ports.
//! - awsvpc tasks started with `assignPublicIp: ENABLED` get an Elastic IP associated
//!   with their network interface on moto's EC2 (moto's ECS assigns none).
//! - UpdateTaskProtection (not in moto) is answered like ECS: service tasks only.
//! - DynamoDB writes are passed to moto one at a time: DynamoDB applies each
//!   conditional write atomically, moto checks and writes without a lock. Reads stay
//!   concurrent, and the items they read are counted (Query `ScannedCount`, one per
//!   GetItem).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::server::{NewServers, SimServer};

const ECS_PREFIX: &str = "AmazonEC2ContainerServiceV20141113.";
const DYNAMODB_PREFIX: &str = "DynamoDB_20120810.";
const DYNAMODB_WRITES: &[&str] = &[
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

/// The front's state, shared by its handlers and the lab.
pub(crate) struct Front {
    pub moto: String,
    pub http: reqwest::Client,
    /// The container port game servers listen on.
    pub game_port: u16,
    /// moto's EC2, for the Elastic IPs of tasks that ask for a public IP.
    pub ec2: hangar_aws::ec2::Ec2Client,
    pub new_servers: Mutex<NewServers>,
    pub servers: Mutex<HashMap<String, Arc<SimServer>>>,
    /// Host ports bound for bridge tasks: task ARN -> (container port, host port).
    pub bindings: Mutex<HashMap<String, (u16, u16)>>,
    /// The loopback address of each container instance the lab registered.
    pub instances: Mutex<HashMap<String, Ipv4Addr>>,
    pub protection: Mutex<HashMap<String, bool>>,
    pub run_task_calls: AtomicU64,
    pub stop_task_calls: AtomicU64,
    /// Task ARNs named in DescribeTasks requests, over all calls.
    pub described_tasks: AtomicU64,
    /// DynamoDB items read (Query ScannedCount, one per GetItem) and read requests.
    pub items_read: AtomicU64,
    pub read_requests: AtomicU64,
    pub in_flight: Arc<(AtomicU64, AtomicU64)>,
    pub dynamodb_writes: tokio::sync::Mutex<()>,
}

/// moto's `a.b.c.d` becomes `127.b.c.d`: always loopback, whatever moto answered.
pub fn loopback_for(ip: &str) -> Option<Ipv4Addr> {
    let v4: Ipv4Addr = ip.parse().ok()?;
    let [_, b, c, d] = v4.octets();
    Some(Ipv4Addr::new(127, b, c, d))
}

/// Private IPs in an ECS (JSON) answer become loopback addresses.
pub fn rewrite_ips(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.get("name").and_then(Value::as_str) == Some("privateIPv4Address") {
                if let Some(ip) = map
                    .get("value")
                    .and_then(Value::as_str)
                    .and_then(loopback_for)
                {
                    map.insert("value".into(), Value::String(ip.to_string()));
                }
            }
            if let Some(ip) = map
                .get("privateIpv4Address")
                .and_then(Value::as_str)
                .and_then(loopback_for)
            {
                map.insert("privateIpv4Address".into(), Value::String(ip.to_string()));
            }
            for (_, child) in map.iter_mut() {
                rewrite_ips(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_ips),
        _ => {}
    }
}

/// Private IPs in an EC2 (XML) answer become loopback addresses.
pub fn rewrite_xml_ips(xml: &str) -> String {
    const OPEN: &str = "<privateIpAddress>";
    const CLOSE: &str = "</privateIpAddress>";
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find(OPEN) {
        let value_start = start + OPEN.len();
        let Some(len) = rest[value_start..].find(CLOSE) else {
            break;
        };
        out.push_str(&rest[..value_start]);
        let value = &rest[value_start..value_start + len];
        match loopback_for(value) {
            Some(ip) => out.push_str(&ip.to_string()),
            None => out.push_str(value),
        }
        rest = &rest[value_start + len..];
    }
    out.push_str(rest);
    out
}

pub fn task_eni_ip(task: &Value) -> Option<Ipv4Addr> {
    task["attachments"]
        .as_array()?
        .iter()
        .flat_map(|a| a["details"].as_array().cloned().unwrap_or_default())
        .find_map(|d| {
            (d["name"] == "privateIPv4Address")
                .then(|| d["value"].as_str().and_then(|s| s.parse().ok()))
                .flatten()
        })
}

fn task_eni_id(task: &Value) -> Option<String> {
    task["attachments"]
        .as_array()?
        .iter()
        .flat_map(|a| a["details"].as_array().cloned().unwrap_or_default())
        .find_map(|d| {
            (d["name"] == "networkInterfaceId")
                .then(|| d["value"].as_str().map(str::to_string))
                .flatten()
        })
}

fn amz_json(status: StatusCode, body: Value) -> Response {
    (
        status,
        [("content-type", "application/x-amz-json-1.1")],
        body.to_string(),
    )
        .into_response()
}

impl Front {
    /// Sends a request on to moto; answers status, content type and body.
    async fn forward(
        &self,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<(StatusCode, String, Bytes), Response> {
        let mut fwd = self.http.post(&self.moto).body(body);
        for (k, v) in headers.iter() {
            if k != "host" && k != "content-length" {
                fwd = fwd.header(k, v);
            }
        }
        let resp = fwd
            .send()
            .await
            .map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()).into_response())?;
        let status =
            StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/x-amz-json-1.1")
            .to_string();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()).into_response())?;
        Ok((status, content_type, bytes))
    }

    /// Starts the simulated game server of a new task on `host` (its own address under
    /// awsvpc, its container instance's under bridge networking).
    async fn start_server(&self, arn: &str, host: Ipv4Addr, group: &str, bridge: bool) {
        let settings = match self.new_servers.lock() {
            Ok(s) => *s,
            Err(_) => return,
        };
        if !host.is_loopback() {
            tracing::error!(%host, "simulated game servers bind loopback only");
            return;
        }
        let port = if bridge { 0 } else { self.game_port };
        let listener = match tokio::net::TcpListener::bind(SocketAddr::from((host, port))).await {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(%host, port, error = %e, "cannot start a simulated game server");
                return;
            }
        };
        match SimServer::serve(listener, settings, group, self.in_flight.clone()) {
            Ok(sim) => {
                if bridge {
                    if let Ok(mut b) = self.bindings.lock() {
                        b.insert(arn.to_string(), (self.game_port, sim.addr.port()));
                    }
                }
                if let Ok(mut servers) = self.servers.lock() {
                    servers.insert(arn.to_string(), sim);
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot start a simulated game server"),
        }
    }

    /// As ECS would for a task asking for a public IP: an Elastic IP on its interface.
    async fn give_public_ip(&self, eni: &str) {
        let domain = [("Domain".to_string(), "vpc".to_string())];
        let allocated = match self.ec2.call("AllocateAddress", &domain).await {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, "AllocateAddress");
                return;
            }
        };
        let Some(allocation) = allocated.text_of("allocationId") else {
            tracing::error!("AllocateAddress: no allocationId");
            return;
        };
        let params = [
            ("AllocationId".to_string(), allocation.to_string()),
            ("NetworkInterfaceId".to_string(), eni.to_string()),
        ];
        if let Err(e) = self.ec2.call("AssociateAddress", &params).await {
            tracing::error!(error = %e, "AssociateAddress");
        }
    }

    /// Adds the host ports of bridge tasks to their containers, as ECS reports them.
    fn add_bindings(&self, task: &mut Value) {
        let Some(arn) = task["taskArn"].as_str() else {
            return;
        };
        let Some((container_port, host_port)) =
            self.bindings.lock().ok().and_then(|b| b.get(arn).copied())
        else {
            return;
        };
        if let Some(containers) = task["containers"].as_array_mut() {
            for c in containers {
                c["networkBindings"] = json!([{
                    "bindIP": "0.0.0.0",
                    "containerPort": container_port,
                    "hostPort": host_port,
                    "protocol": "tcp"
                }]);
            }
        }
    }

    fn update_task_protection(&self, body: &Value) -> Response {
        let enabled = body["protectionEnabled"].as_bool().unwrap_or(false);
        let minutes = body["expiresInMinutes"].as_i64().unwrap_or(120);
        let groups: HashMap<String, String> = match self.servers.lock() {
            Ok(s) => s
                .iter()
                .map(|(k, v)| (k.clone(), v.group.clone()))
                .collect(),
            Err(_) => HashMap::new(),
        };
        let mut protected = Vec::new();
        let mut failures = Vec::new();
        for t in body["tasks"].as_array().cloned().unwrap_or_default() {
            let arn = t.as_str().unwrap_or_default().to_string();
            match groups.get(&arn) {
                Some(g) if g.starts_with("service:") => {
                    if let Ok(mut p) = self.protection.lock() {
                        p.insert(arn.clone(), enabled);
                    }
                    let mut p = json!({"taskArn": arn, "protectionEnabled": enabled});
                    if enabled {
                        let now_secs = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map(|d| d.as_secs())
                            .unwrap_or(0);
                        p["expirationDate"] = json!(now_secs as i64 + minutes * 60);
                    }
                    protected.push(p);
                }
                Some(_) => failures.push(json!({"arn": arn, "reason": "TASK_NOT_VALID"})),
                None => failures.push(json!({"arn": arn, "reason": "MISSING"})),
            }
        }
        amz_json(
            StatusCode::OK,
            json!({"protectedTasks": protected, "failures": failures}),
        )
    }

    fn count_reads(&self, op: &str, bytes: &[u8]) {
        let items = match op {
            "GetItem" => 1,
            "Query" | "Scan" => serde_json::from_slice::<Value>(bytes)
                .ok()
                .and_then(|v| v["ScannedCount"].as_u64())
                .unwrap_or(0),
            _ => return,
        };
        self.read_requests.fetch_add(1, Ordering::SeqCst);
        self.items_read.fetch_add(items, Ordering::SeqCst);
    }
}

fn passthrough(status: StatusCode, content_type: String, bytes: Bytes) -> Response {
    (status, [("content-type", content_type)], bytes).into_response()
}

pub(crate) async fn front_door(
    State(f): State<Arc<Front>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if let Some(op) = target.strip_prefix(DYNAMODB_PREFIX) {
        let _one_at_a_time = if DYNAMODB_WRITES.contains(&op) {
            Some(f.dynamodb_writes.lock().await)
        } else {
            None
        };
        return match f.forward(&headers, body).await {
            Ok((status, content_type, bytes)) => {
                if status.is_success() {
                    f.count_reads(op, &bytes);
                }
                passthrough(status, content_type, bytes)
            }
            Err(e) => e,
        };
    }
    let Some(op) = target.strip_prefix(ECS_PREFIX).map(str::to_string) else {
        // EC2 (and anything else): moto's answer, private IPs on loopback.
        return match f.forward(&headers, body).await {
            Ok((status, content_type, bytes)) if content_type.contains("xml") => {
                let text = String::from_utf8_lossy(&bytes);
                passthrough(status, content_type, Bytes::from(rewrite_xml_ips(&text)))
            }
            Ok((status, content_type, bytes)) => passthrough(status, content_type, bytes),
            Err(e) => e,
        };
    };
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if op == "UpdateTaskProtection" {
        return f.update_task_protection(&request);
    }
    if op == "DescribeTasks" {
        let n = request["tasks"].as_array().map_or(0, Vec::len) as u64;
        f.described_tasks.fetch_add(n, Ordering::SeqCst);
    }
    let (status, content_type, bytes) = match f.forward(&headers, body).await {
        Ok(r) => r,
        Err(e) => return e,
    };
    if !status.is_success() || !matches!(op.as_str(), "RunTask" | "DescribeTasks" | "StopTask") {
        return passthrough(status, content_type, bytes);
    }
    let mut v: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return passthrough(status, content_type, bytes),
    };
    match op.as_str() {
        "RunTask" => {
            f.run_task_calls.fetch_add(1, Ordering::SeqCst);
            let public = request["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"]
                == "ENABLED";
            for t in v["tasks"].as_array().cloned().unwrap_or_default() {
                let Some(arn) = t["taskArn"].as_str() else {
                    continue;
                };
                let group = t["group"].as_str().unwrap_or_default();
                if let Some(ip) = task_eni_ip(&t).and_then(|ip| loopback_for(&ip.to_string())) {
                    f.start_server(arn, ip, group, false).await;
                    if public {
                        if let Some(eni) = task_eni_id(&t) {
                            f.give_public_ip(&eni).await;
                        }
                    }
                } else if let Some(ci) = t["containerInstanceArn"].as_str() {
                    let host = f.instances.lock().ok().and_then(|i| i.get(ci).copied());
                    match host {
                        Some(host) => f.start_server(arn, host, group, true).await,
                        None => {
                            tracing::warn!(ci, "task on a container instance the lab does not know")
                        }
                    }
                }
            }
        }
        "StopTask" => {
            f.stop_task_calls.fetch_add(1, Ordering::SeqCst);
            if let Some(arn) = v["task"]["taskArn"].as_str() {
                let removed = f.servers.lock().ok().and_then(|mut s| s.remove(arn));
                if let Some(s) = removed {
                    s.shut_down();
                }
            }
        }
        _ => {}
    }
    rewrite_ips(&mut v);
    for key in ["tasks"] {
        if let Some(tasks) = v[key].as_array_mut() {
            for t in tasks {
                f.add_bindings(t);
            }
        }
    }
    amz_json(status, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_ipv4_is_mapped_into_loopback() {
        assert_eq!(
            loopback_for("10.110.36.55"),
            Some(Ipv4Addr::new(127, 110, 36, 55))
        );
        assert!(loopback_for("192.168.1.1").unwrap().is_loopback());
        assert_eq!(loopback_for("not-an-ip"), None);
    }

    #[test]
    fn private_ips_in_ecs_answers_are_rewritten() {
        let mut v = json!({"tasks": [{"attachments": [{"details": [
            {"name": "subnetId", "value": "subnet-1"},
            {"name": "privateIPv4Address", "value": "10.1.2.3"}
        ]}]}]});
        rewrite_ips(&mut v);
        assert_eq!(
            task_eni_ip(&v["tasks"][0]),
            Some(Ipv4Addr::new(127, 1, 2, 3))
        );
        assert_eq!(
            v["tasks"][0]["attachments"][0]["details"][0]["value"],
            "subnet-1"
        );
    }

    #[test]
    fn private_ips_in_ec2_answers_are_rewritten_and_public_ones_kept() {
        let xml =
            "<a><privateIpAddress>172.31.4.5</privateIpAddress><ipAddress>54.1.2.3</ipAddress>\
                   <privateIpAddress>10.0.0.9</privateIpAddress></a>";
        assert_eq!(
            rewrite_xml_ips(xml),
            "<a><privateIpAddress>127.31.4.5</privateIpAddress><ipAddress>54.1.2.3</ipAddress>\
             <privateIpAddress>127.0.0.9</privateIpAddress></a>"
        );
    }
}
