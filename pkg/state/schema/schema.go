// Package schema names the state table's key and TTL attributes. It links
// no SDK, so the CDK app creates the table from the same names pkg/state
// reads and writes (pkg/state's tests check its items against them).
package schema

const (
	PartitionKey = "pk"  // string
	SortKey      = "sk"  // string
	TTLAttribute = "ttl" // number, epoch seconds
)
