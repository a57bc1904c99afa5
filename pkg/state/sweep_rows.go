package state

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// A sweep run's rows are bounded below DynamoDB's 400 KB item limit
// (which counts attribute names and values) by construction, whatever the
// organization's size: every list or blob that grows with it is split into
// rows of a fixed budget, and the rows that stay single (the run, an item's
// record) hold only counters, times and references. docs/sweep-runs.md has
// the layout and the sizes measured against moto, which enforces the limit.
const (
	// maxItemBytes is DynamoDB's item size limit.
	maxItemBytes = 400 * 1024
	// expectedShardBytes bounds one shard of a run's Expected list, its
	// names joined by newlines. At ~26 bytes a name
	// ("123456789012/eu-central-1"), a shard holds ~7,500: 10,000
	// accounts x 17 regions is 22 shards.
	expectedShardBytes = 192 * 1024
	// inlineReportBytes: a report up to this size stays in its item's
	// record as JSON text (readable with the console, the common case of
	// a few hundred resources); a larger one is gzipped into chunk rows.
	inlineReportBytes = 64 * 1024
	// reportChunkBytes bounds the gzip bytes of one chunk row.
	reportChunkBytes = 256 * 1024
	// maxNameBytes bounds one Expected name (account ID, '/', region, with
	// room to spare), so no single name can break a shard's budget.
	maxNameBytes = 1024
)

// Sort key prefixes of the split rows.
const (
	expectedPrefix = "expected#"
	chunkPrefix    = "chunk#"
	// gzipEncoding marks a record whose report is in chunk rows, gzipped.
	gzipEncoding = "gzip"
)

// expectedItem is one shard of a run's Expected list. Shards are written
// before the run row and belong to it only through the run row's
// expectedSet, so a start that loses (another start won, or it crashed
// before writing the run row) leaves rows nobody reads, gone with the ttl.
//
// The names are one string, newline-separated, not a list: a list of
// thousands of elements costs a byte each more in DynamoDB and is far
// slower to marshal, for nothing a reader needs.
type expectedItem struct {
	PK    string `dynamodbav:"pk"`
	SK    string `dynamodbav:"sk"` // expected#<set>#<5-digit index>
	Names string `dynamodbav:"names"`
	TTL   int64  `dynamodbav:"ttl"`
}

// chunkItem is one piece of a gzipped item report. Chunks are written
// before the record that references them, under a set drawn for that
// delivery, so a redelivery's chunks can never overwrite (and mix into) the
// report a recorded delivery references.
type chunkItem struct {
	PK   string `dynamodbav:"pk"`
	SK   string `dynamodbav:"sk"` // chunk#<account>#<region>#<set>#<5-digit index>
	Data []byte `dynamodbav:"data"`
	TTL  int64  `dynamodbav:"ttl"`
}

// newSet draws the token that ties split rows to the row referencing them.
func newSet() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

func shardSK(set string, i int) string { return fmt.Sprintf("%s%s#%05d", expectedPrefix, set, i) }

func chunkSK(account, region, set string, i int) string {
	return fmt.Sprintf("%s%s#%s#%s#%05d", chunkPrefix, account, region, set, i)
}

// shardExpected splits names into shards of at most expectedShardBytes.
func shardExpected(sweepID, set string, names []string, ttl int64) ([]expectedItem, error) {
	var out []expectedItem
	var b strings.Builder
	flush := func() {
		out = append(out, expectedItem{PK: runPK(sweepID), SK: shardSK(set, len(out)), Names: b.String(), TTL: ttl})
		b.Reset()
	}
	for _, n := range names {
		if n == "" || len(n) > maxNameBytes || strings.Contains(n, "\n") {
			return nil, fmt.Errorf("state: sweep run %s: invalid expected item name %.40q (empty, newline or over %d bytes)", sweepID, n, maxNameBytes)
		}
		if b.Len() > 0 && b.Len()+1+len(n) > expectedShardBytes {
			flush()
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(n)
	}
	if b.Len() > 0 {
		flush()
	}
	return out, nil
}

// splitReport makes an item's record and, for a report over
// inlineReportBytes, its chunk rows.
func splitReport(sweepID string, it ItemRecord, ttl int64, set string) (recordItem, []chunkItem, error) {
	rec := toRecordItem(sweepID, it, ttl)
	if len(it.Report) <= inlineReportBytes {
		return rec, nil, nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level never errs
	if _, err := zw.Write(it.Report); err != nil {
		return recordItem{}, nil, err
	}
	if err := zw.Close(); err != nil {
		return recordItem{}, nil, err
	}
	data := buf.Bytes()
	var chunks []chunkItem
	for start := 0; start < len(data); start += reportChunkBytes {
		chunks = append(chunks, chunkItem{PK: rec.PK, SK: chunkSK(it.Account, it.Region, set, len(chunks)),
			Data: data[start:min(start+reportChunkBytes, len(data))], TTL: ttl})
	}
	rec.Report, rec.Encoding, rec.ChunkSet, rec.Chunks = "", gzipEncoding, set, len(chunks)
	return rec, chunks, nil
}

// sweepRows are a sweep partition's rows, by kind, as read back.
type sweepRows struct {
	run     *runItem
	shards  map[string]string // by sort key
	records []recordItem      // in sort-key order (account, region)
	chunks  map[string][]byte // by sort key
}

// expected reassembles the run's Expected list: its own shards in order,
// or the list kept in the run row by versions before shards.
func (rs sweepRows) expected() ([]string, error) {
	it := rs.run
	if it.ExpectedShards == 0 {
		return cloneStrings(it.Expected), nil
	}
	var out []string
	for i := range it.ExpectedShards {
		names, ok := rs.shards[shardSK(it.ExpectedSet, i)]
		if !ok {
			return nil, fmt.Errorf("expected shard %d of %d (set %s) missing", i, it.ExpectedShards, it.ExpectedSet)
		}
		out = append(out, strings.Split(names, "\n")...)
	}
	return out, nil
}

// item reassembles one record's report from its chunks.
func (rs sweepRows) item(rec recordItem) (ItemRecord, error) {
	out, err := rec.record()
	if err != nil || rec.Encoding == "" {
		return out, err
	}
	if rec.Encoding != gzipEncoding {
		return ItemRecord{}, fmt.Errorf("item %s/%s: unknown report encoding %q", rec.Account, rec.Region, rec.Encoding)
	}
	var data []byte
	for i := range rec.Chunks {
		c, ok := rs.chunks[chunkSK(rec.Account, rec.Region, rec.ChunkSet, i)]
		if !ok {
			return ItemRecord{}, fmt.Errorf("item %s/%s: report chunk %d of %d missing", rec.Account, rec.Region, i, rec.Chunks)
		}
		data = append(data, c...)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return ItemRecord{}, fmt.Errorf("item %s/%s: report: %w", rec.Account, rec.Region, err)
	}
	if out.Report, err = io.ReadAll(zr); err != nil {
		return ItemRecord{}, fmt.Errorf("item %s/%s: report: %w", rec.Account, rec.Region, err)
	}
	return out, nil
}

// runWith reads the run row with its Expected list reassembled.
func (rs sweepRows) runWith(sweepID string) (Run, error) {
	r, err := rs.run.run(sweepID)
	if err != nil {
		return Run{}, err
	}
	if r.Expected, err = rs.expected(); err != nil {
		return Run{}, fmt.Errorf("sweep run %s: %w", sweepID, err)
	}
	return r, nil
}

// items reassembles every recorded item, in sort-key order.
func (rs sweepRows) items() ([]ItemRecord, error) {
	out := make([]ItemRecord, 0, len(rs.records))
	slices.SortFunc(rs.records, func(a, b recordItem) int { return strings.Compare(a.SK, b.SK) })
	for _, rec := range rs.records {
		it, err := rs.item(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return nilIfEmpty(out), nil
}

// DigestClaimFor is how long a digest claim holds before another caller
// may take it over. The digest is only sent from the function (the CLI
// sweeps in process, without runs), whose timeout is 5 minutes: a claim
// three times that old belongs to an invocation Lambda has stopped, so
// taking it over cannot race a live sender, even with the hosts' clocks a
// little apart.
const DigestClaimFor = 15 * time.Minute

func (rs *sweepRows) addShard(it expectedItem) {
	if rs.shards == nil {
		rs.shards = map[string]string{}
	}
	rs.shards[it.SK] = it.Names
}

func (rs *sweepRows) addChunk(it chunkItem) {
	if rs.chunks == nil {
		rs.chunks = map[string][]byte{}
	}
	rs.chunks[it.SK] = it.Data
}
