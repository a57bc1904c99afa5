package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/forcessl/forcessl/internal/mototest"
	"github.com/forcessl/forcessl/pkg/apicount"
	"github.com/forcessl/forcessl/pkg/report"
)

// commandClaiming runs the command with credentials that name account
// (aws.Credentials.AccountID, as AWS_ACCOUNT_ID or a profile's provider
// sets it).
func commandClaiming(t *testing.T, account string, args ...string) run {
	t.Helper()
	calls := apicount.New()
	var stdout, stderr bytes.Buffer
	env := Env{
		Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr, Now: func() time.Time { return now },
		LoadAWS: func(context.Context) (aws.Config, error) {
			cfg := moto.Config(t)
			cfg.Credentials = credentials.StaticCredentialsProvider{Value: aws.Credentials{AccessKeyID: "testing",
				SecretAccessKey: "testing", AccountID: account}}
			cfg.APIOptions = append(cfg.APIOptions, calls.Middleware())
			return cfg, nil
		},
	}
	code := Main(context.Background(), args, env)
	return run{code, stdout.String(), stderr.String(), calls.Snapshot()}
}

// An audit whose credentials name their account routes on it (no round
// trip to STS before its reads) and reports what it read once STS, asked
// beside them, confirms it; credentials that are another account's than
// they name get no resource reported, only the mismatch, as not covered.
func TestAuditRoutesOnTheClaimedAccountOnlyOnceSTSConfirmsIt(t *testing.T) {
	estate(t)
	args := []string{"audit", "--format", "json", "--accounts", mototest.Account, "--regions", mototest.Region}
	items := func(r run) []report.Item {
		t.Helper()
		var rep report.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("%v\n%s\n%s", err, r.stdout, r.stderr)
		}
		return rep.Items
	}

	r := commandClaiming(t, mototest.Account, args...)
	if r.code != ExitFindings || r.calls["STS.GetCallerIdentity"] != 1 {
		t.Fatalf("exit %d, calls %v, want %d and one GetCallerIdentity (the check)\n%s", r.code, r.calls, ExitFindings, r.stderr)
	}
	if it := items(r); len(it) != 1 || it[0].Error != "" || len(it[0].Resources) != 4 {
		t.Errorf("confirmed claim: the audit must report the estate as usual: %+v", it)
	}

	r = commandClaiming(t, "210000000001", args...)
	it := items(r)
	if r.code != ExitFindings || len(it) != 1 || !it[0].NotCovered || len(it[0].Resources) != 0 ||
		!strings.Contains(it[0].Error, "STS says they are account "+mototest.Account) {
		t.Errorf("a claim STS contradicts: exit %d, items %+v, want the item not covered, nothing reported", r.code, it)
	}
}
