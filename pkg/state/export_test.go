package state

// SetPageLimit makes Dynamo read Query results in pages of n items, so the
// tests cover pagination without writing megabytes.
func SetPageLimit(d *Dynamo, n int32) { d.pageLimit = n }
