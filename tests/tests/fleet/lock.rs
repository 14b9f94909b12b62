//! The alias lock on DynamoDB (moto), through the adapter the validate and release stages
//! use (`hangar_fleet::lock`): whatever the request, one execution holds an alias. The
//! same request in two executions (the replacement id is derived from the request, so
//! both carry the same one) is admitted once; a crashed holder is taken over once.

use hangar_fleet::lock::{acquire, get, release, Claim};
use hangar_fleet::FleetError;
use hangar_tests::{aws_config, unique_name};

use crate::support::lock_table;

fn claim<'a>(alias_id: &'a str, execution_arn: &'a str, takes_over: Option<&'a str>) -> Claim<'a> {
    Claim {
        alias_id,
        // Every claim here is of the same request.
        replacement_id: "r-same-request",
        execution_arn,
        old_fleet_id: "fleet-old",
        now_ms: 1,
        takes_over,
    }
}

async fn holder(ddb: &aws_sdk_dynamodb::Client, table: &str, alias_id: &str) -> Option<String> {
    get(ddb, table, alias_id)
        .await
        .unwrap()
        .map(|l| l.execution_arn)
}

/// The one execution of `arns` whose claim succeeded; the other's must be a contention.
fn one_winner(arns: [&str; 2], results: [Result<(), FleetError>; 2]) -> &str {
    let won: Vec<&str> = arns
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.is_ok())
        .map(|(a, _)| *a)
        .collect();
    assert_eq!(won.len(), 1, "exactly one claim wins: {results:?}");
    let lost = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert!(
        matches!(lost, FleetError::Contended(_)),
        "the other is a contention, retried by the state machine: {lost:?}"
    );
    won[0]
}

#[tokio::test]
async fn the_same_request_in_two_executions_claiming_a_free_alias_at_once_admits_only_one() {
    let ddb = aws_sdk_dynamodb::Client::new(&aws_config().await);
    let table = lock_table(&ddb).await;
    let alias = unique_name("alias");
    let arns = ["arn:exec:first", "arn:exec:second"];
    let claims = arns.map(|arn| claim(&alias, arn, None));
    let (a, b) = tokio::join!(
        acquire(&ddb, &table, &claims[0]),
        acquire(&ddb, &table, &claims[1]),
    );
    let winner = one_winner(arns, [a, b]);
    let loser = arns.into_iter().find(|a| *a != winner).unwrap();
    assert_eq!(holder(&ddb, &table, &alias).await.as_deref(), Some(winner));

    // The loser asking again (the state machine's retry) is still not admitted; the
    // winner's retried validate keeps its lock.
    assert!(matches!(
        acquire(&ddb, &table, &claim(&alias, loser, None)).await,
        Err(FleetError::Contended(_))
    ));
    acquire(&ddb, &table, &claim(&alias, winner, None))
        .await
        .unwrap();
    // The loser cannot release the winner's lock; the winner can.
    assert!(!release(&ddb, &table, &alias, loser).await.unwrap());
    assert_eq!(holder(&ddb, &table, &alias).await.as_deref(), Some(winner));
    assert!(release(&ddb, &table, &alias, winner).await.unwrap());
    assert_eq!(holder(&ddb, &table, &alias).await, None);
}

#[tokio::test]
async fn two_runs_taking_over_a_crashed_executions_lock_at_once_admit_only_one() {
    let ddb = aws_sdk_dynamodb::Client::new(&aws_config().await);
    let table = lock_table(&ddb).await;
    let alias = unique_name("alias");
    let crashed = "arn:exec:crashed";
    acquire(&ddb, &table, &claim(&alias, crashed, None))
        .await
        .unwrap();
    let arns = ["arn:exec:next-a", "arn:exec:next-b"];
    let claims = arns.map(|arn| claim(&alias, arn, Some(crashed)));
    let (a, b) = tokio::join!(
        acquire(&ddb, &table, &claims[0]),
        acquire(&ddb, &table, &claims[1]),
    );
    let winner = one_winner(arns, [a, b]);
    assert_eq!(holder(&ddb, &table, &alias).await.as_deref(), Some(winner));
    // A takeover that names an execution which no longer holds the lock is refused too,
    // and a claim of a held alias as if it were free.
    let late = "arn:exec:late";
    assert!(matches!(
        acquire(&ddb, &table, &claim(&alias, late, Some(crashed))).await,
        Err(FleetError::Contended(_))
    ));
    assert!(matches!(
        acquire(&ddb, &table, &claim(&alias, late, None)).await,
        Err(FleetError::Contended(_))
    ));
    assert_eq!(holder(&ddb, &table, &alias).await.as_deref(), Some(winner));
}
