// Package state is forcessl's memory: one DynamoDB table (single-table
// design) holding what it intends, who is working on a resource, what it
// has said, its sweep runs and its history.
//
// # Key schema (public interface: ops query and restore it)
//
// Partition key pk (S), sort key sk (S), TTL attribute ttl (N, epoch
// seconds). Times are stored as RFC 3339 strings in UTC with a fixed
// nine-digit fraction ("2026-11-26T10:00:00.000000000Z"), so that they sort
// as strings in the order they happened; absent times are absent
// attributes.
//
// TTL only cleans up. DynamoDB deletes expired items eventually, often
// days later, so no read relies on it: a lease's expiry is compared in the
// acquiring write's condition, and nothing else is read by expiry.
//
// # Items
//
//	item            pk                                      sk                                   ttl
//	resource state  resource#<account>#<region>#<resourceId> state                                none
//	history entry   resource#<account>#<region>#<resourceId> history#<at>#<4 hex random>         at + FORCESSL_HISTORY_DAYS
//	lease           resource#<account>#<region>#<resourceId> lease                                leaseUntil + 1 day
//	name link       name#<account>#<region>#<kind>#<name>    <resourceId>                         none
//	sweep run       sweep#<sweepId>                          run                                  startedAt + 30 days
//	expected shard  sweep#<sweepId>                          expected#<set>#<5 digits>            the run's
//	sweep item      sweep#<sweepId>                          item#<account>#<region>              the run's
//	report chunk    sweep#<sweepId>                          chunk#<account>#<region>#<set>#<5 digits> the run's
//	pause           control                                  pause#<account|*>#<region|*>         none
//	breaker         control                                  breaker#<account>                    none
//	reboot budget   control#budget#<yyyy-mm-ddThh>           org | account#<account>              hour + 2 days
//	control event   control#history                          history#<at>#<4 hex random>          at + 400 days
//	org listing     org#<sorted target OUs, comma-separated|*> accounts                             none
//
// resourceId is RDS's immutable DbiResourceId ("db-…") or
// DbClusterResourceId ("cluster-…"), never the name, so a rename keeps its
// history. kind is "db-instance" or "db-cluster".
//
// Resource state: kind, name (the current identifier), engine, state,
// stateSince (when the current state was first seen), lastAction,
// lastActionAt; intent (M: recordedAt, group, changes (L of S), cause),
// the change forcessl made that still owes a reboot; notice (M:
// fingerprint, outcome, firstSent, lastSeen, count), the last message sent;
// securityHub (M: fingerprint, importedAt); lookFailed (M: count, since,
// codes (L of S)), the looks after forcessl's reboot that failed to read
// the resource in a row; version (N), incremented by
// every write and checked by it (optimistic concurrency); updatedAt.
//
// History entry: at, name (the identifier at that time), trigger (event ID
// or "sweep <id>"), cause, state, outcome, reason, steps (L of S), changed
// (L of S). Read a resource's history, oldest first, with a Query on its pk
// and begins_with(sk, "history#").
//
// Lease: owner, leaseUntil (N, epoch milliseconds). Taken with a
// conditional put, attribute_not_exists(pk) OR leaseUntil < :now OR
// owner = :me, so a crashed holder blocks the resource only until
// leaseUntil; released with a delete conditional on the owner.
//
// Name link: firstSeen, lastSeen (the earliest and latest sighting of that
// resource ID under that name). After a blue/green switchover a new
// resource ID carries the old name: it starts a history of its own, and the
// name's links lead from one to the other.
//
// Sweep run: mode, startedAt, deadline, total (N, work items fanned out),
// done (N, items recorded), digestClaimedAt (a caller is sending the
// digest: set by a conditional update only one caller wins, removed if its
// send fails, taken over once DigestClaimFor old), digestSentAt (the
// digest went out), expectedSet and expectedShards (the run's work items
// are in that many expected shards of that set; runs of earlier versions
// have an expected list (L of S) here instead).
//
// Expected shard: names (S: "account/region" names, newline-separated, at
// most 192 KiB). Written before the run row that names its set, so a
// start that loses or crashes leaves shards nobody reads.
//
// Sweep item: account, region, recordedAt, report (S: the item's report
// as JSON, opaque to this package) if it is at most 64 KiB; a larger one
// is gzipped into report chunks and the item has encoding ("gzip"),
// chunkSet and chunks (N) instead. Written in one transaction with the
// increment of the run's done, the put conditional on the item being new,
// so an SQS redelivery neither records nor counts twice.
//
// Report chunk: data (B, at most 256 KiB of the gzipped report). Written
// before the item under a set drawn by that delivery, so a redelivery's
// chunks never mix into the report a recorded item names.
//
// Every row of a run stays below DynamoDB's 400 KB item limit at any scale
// (docs/sweep-runs.md has the sizes measured at 170,000 work items and
// 5,000 resources in one account-region).
//
// Pause: reason, by (the caller identity's ARN), since. Breaker: openedAt,
// resource (account/region/resourceId), saw. Both live in the one
// partition "control", read whole (one Query) by every invocation; an
// operator's IAM policy can confine pause and resume to it with
// dynamodb:LeadingKeys (docs/blast-radius.md). Reboot budget: resources
// (SS), the restarts counted in that UTC hour; waiting (SS,
// "<intent time>|<resource>"), the restarts postponed to that hour for
// the budget; v (N), bumped by every write. A count is added in one
// transaction to the account's and the org's counter: conditional on each
// set being under the limit (or holding the resource) and nothing
// waiting, or, when something waits, on both versions being what was
// read (CountReboot). Control event: at, action (pause | resume |
// breaker-open), account, region, by, why.
//
// Org listing: the sweep's listing of the organization (OrgCache):
// targets (L of S), accounts (L of S, the accounts the listing did not
// place), placed (M: the path of OUs above, "r-…/ou-…", to the accounts
// directly under it), at.
//
// # Stores
//
// Dynamo is the production Store. Memory keeps the same rows under one
// mutex, for tests only: it makes every conditional write truly atomic,
// which the engine's concurrency tests need and moto does not provide.
package state
