// Package hub puts forcessl's results into AWS Security Hub: it imports
// each resource's findings (built by pkg/asff) into the resource's own
// account and Region, only those that changed or are due for a refresh, in
// batches; sets a finding's workflow status when it moves; annotates AWS's
// own control finding (RDS.38/39/41/44) when forcessl acts on an instance;
// and reports a sweep's coverage gaps.
//
// Security Hub is a report, never a gate: no error here fails, retries or
// blocks the work it reports on. Errors are logged, each kind once per
// account and Region for the life of the process (Security Hub not enabled
// is a choice, not an incident), and what was not imported is sent again
// next time.
package hub

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/forcessl/forcessl/pkg/awserr"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/state"
)

// Importer imports findings (BatchImportFindings).
type Importer interface {
	BatchImportFindings(context.Context, *securityhub.BatchImportFindingsInput, ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
}

// Finder reads findings (GetFindings).
type Finder interface {
	GetFindings(context.Context, *securityhub.GetFindingsInput, ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error)
}

// Updater changes the customer's fields of findings, workflow and note
// (BatchUpdateFindings).
type Updater interface {
	BatchUpdateFindings(context.Context, *securityhub.BatchUpdateFindingsInput, ...func(*securityhub.Options)) (*securityhub.BatchUpdateFindingsOutput, error)
}

// API is every Security Hub call forcessl makes, in one account and
// Region; the SDK client satisfies it.
type API interface {
	Importer
	Finder
	Updater
}

// Memory is the part of the state table the hub uses: it writes a
// resource's mark once Security Hub has accepted its findings.
type Memory interface {
	Resource(ctx context.Context, k state.Key) (state.Resource, bool, error)
	PutResource(ctx context.Context, r state.Resource) error
}

// DefaultRefresh is how often an unchanged finding is imported again:
// Security Hub "deletes findings 90 days after the most recent update"
// (asff-required-attributes.md, UpdatedAt), so a third of that leaves two
// sweeps' worth of slack.
const DefaultRefresh = 30 * 24 * time.Hour

// Limits are BatchImportFindings' limits: "up to 100 findings per batch, up
// to 240 KB per finding, and up to 6 MB per batch"
// (finding-update-batchimportfindings.md).
type Limits struct {
	Findings, FindingBytes, RequestBytes int
}

// DefaultLimits are Security Hub's.
var DefaultLimits = Limits{Findings: 100, FindingBytes: 240 * 1000, RequestBytes: 6 * 1000 * 1000}

// maxFilterValues is how many values GetFindings takes per filter
// attribute ("For each attribute, you can provide up to 20 filter values").
const maxFilterValues = 20

// Hub is forcessl's reporting into Security Hub. Build one per process.
type Hub struct {
	Mode      policy.Mode
	ExemptTag string
	Now       func() time.Time
	// Memory is the state table; nil: without one, the findings Security
	// Hub has are read first to tell what changed.
	Memory  Memory
	Refresh time.Duration // default DefaultRefresh
	Limits  Limits        // default DefaultLimits

	logged sync.Map // keys of the errors logged already
}

func (h *Hub) now() time.Time {
	if h.Now == nil {
		return time.Now().UTC()
	}
	return h.Now().UTC()
}

func (h *Hub) refresh() time.Duration {
	if h.Refresh <= 0 {
		return DefaultRefresh
	}
	return h.Refresh
}

func (h *Hub) limits() Limits {
	l := h.Limits
	if l.Findings <= 0 {
		l.Findings = DefaultLimits.Findings
	}
	if l.FindingBytes <= 0 {
		l.FindingBytes = DefaultLimits.FindingBytes
	}
	if l.RequestBytes <= 0 {
		l.RequestBytes = DefaultLimits.RequestBytes
	}
	return l
}

// notEnabled are the codes Security Hub answers with in an account and
// Region where it is not enabled: InvalidAccess inside FailedFindings for
// imports ("If Security Hub is disabled ... the findings are returned in
// the FailedFindings list, with an InvalidAccess error"), the
// InvalidAccessException error for the other calls.
var notEnabled = []string{"InvalidAccess", "InvalidAccessException"}

// failed logs a Security Hub error without ever passing it on: once per
// account, Region, call and code for the life of the process, at info when
// Security Hub is simply not enabled there, at warn otherwise.
func (h *Hub) failed(ctx context.Context, log *slog.Logger, account, region, op string, err error) {
	code := awserr.Code(err)
	if code == "" {
		code = "error"
	}
	h.failedCode(ctx, log, account, region, op, code, err.Error())
}

func (h *Hub) failedCode(ctx context.Context, log *slog.Logger, account, region, op, code, msg string) {
	key := account + "/" + region + "/" + op + "/" + code
	if slices.Contains(notEnabled, code) {
		key = account + "/" + region + "/not-enabled" // whatever the call
	}
	if _, seen := h.logged.LoadOrStore(key, true); seen {
		log.DebugContext(ctx, "Security Hub call failed again", "call", op, "code", code, "error", msg)
		return
	}
	if slices.Contains(notEnabled, code) {
		log.InfoContext(ctx, "Security Hub is not enabled in this account and Region: nothing reported there (logged once)",
			"account", account, "region", region, "call", op, "code", code, "error", msg)
		return
	}
	log.WarnContext(ctx, "Security Hub call failed; the remediation is not affected, findings are sent again next time (logged once)",
		"account", account, "region", region, "call", op, "code", code, "error", msg)
}
