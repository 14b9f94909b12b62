//! The table's schema, as template.yaml declares it (`GameServersTable`), for tests and
//! `hangar dev`: keys `pk`/`sk`, the sparse index [`OPEN_INDEX`], TTL on `ttl`.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use hangar_aws::AwsError;

use crate::error::GameServersError;

/// Active servers by free slots: partition `open_pk` (the group, present only while the
/// server is active), sort `free` (N). Projects the address only.
pub const OPEN_INDEX: &str = "open";

/// Attributes the open index carries besides its keys and the table's keys.
pub const OPEN_INDEX_ATTRIBUTES: [&str; 2] = ["host", "port"];

/// Creates the table; a table of that name that already exists is left as it is.
pub async fn create_table(client: &Client, table: &str) -> Result<(), GameServersError> {
    let attr = |n: &str, t: ScalarAttributeType| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(t)
            .build()
            .map_err(GameServersError::request("CreateTable"))
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .map_err(GameServersError::request("CreateTable"))
    };
    let open = GlobalSecondaryIndex::builder()
        .index_name(OPEN_INDEX)
        .key_schema(key("open_pk", KeyType::Hash)?)
        .key_schema(key("free", KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::Include)
                .set_non_key_attributes(Some(
                    OPEN_INDEX_ATTRIBUTES
                        .iter()
                        .map(|a| a.to_string())
                        .collect(),
                ))
                .build(),
        )
        .build()
        .map_err(GameServersError::request("CreateTable"))?;
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S)?)
        .attribute_definitions(attr("sk", ScalarAttributeType::S)?)
        .attribute_definitions(attr("open_pk", ScalarAttributeType::S)?)
        .attribute_definitions(attr("free", ScalarAttributeType::N)?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .global_secondary_indexes(open)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), CreateTableError::ResourceInUseException(_)) =>
        {
            return Ok(())
        }
        Err(e) => return Err(AwsError::new("CreateTable", e).into()),
    }
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name("ttl")
        .enabled(true)
        .build()
        .map_err(GameServersError::request("UpdateTimeToLive"))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|e| AwsError::new("UpdateTimeToLive", e))?;
    Ok(())
}
