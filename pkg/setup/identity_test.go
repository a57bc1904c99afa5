package setup

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/forcessl/forcessl/pkg/awserr"
)

// stsSays serves GetCallerIdentity answering account, once release is
// closed, and counts the calls.
func stsSays(t *testing.T, account string, release <-chan struct{}, calls *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "GetCallerIdentity" {
			http.Error(w, "unexpected "+r.Form.Get("Action"), http.StatusBadRequest)
			return
		}
		calls.Add(1)
		<-release
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
<Arn>arn:aws:iam::%s:user/ops</Arn><UserId>AIDA</UserId><Account>%s</Account></GetCallerIdentityResult>
<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, account, account)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func claimingClients(url, region, accountID string) *clients {
	return newClients(func() (aws.Config, error) {
		return aws.Config{Region: region, BaseEndpoint: aws.String(url), Credentials: credentials.StaticCredentialsProvider{
			Value: aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret", AccountID: accountID}}}, nil
	})
}

// Credentials that name their account are routed on at once, STS
// answering beside the reads (one GetCallerIdentity, shared with
// Identity), and a claim STS does not confirm is an error no retry fixes.
func TestClaimedAccountRoutesAtOnceAndSTSConfirmsIt(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, sts string
		confirmed bool
	}{{"confirmed", "111111111111", true}, {"belongs elsewhere", "222222222222", false}} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			release := make(chan struct{})
			c := claimingClients(stsSays(t, tc.sts, release, &calls).URL, "eu-west-1", "111111111111")
			// STS has not answered (it cannot until released): the claim
			// does not wait for it.
			account, partition, ok := c.ClaimedAccount(ctx)
			if !ok || account != "111111111111" || partition != "aws" {
				t.Fatalf("claim %q %q %v, want 111111111111 aws true", account, partition, ok)
			}
			close(release)
			err := c.VerifyIdentity(ctx)
			if tc.confirmed && err != nil {
				t.Fatalf("confirmed claim: %v", err)
			}
			if !tc.confirmed && (err == nil || !awserr.IsTerminal(err)) {
				t.Fatalf("a claim STS contradicts must fail for good, got %v", err)
			}
			if own, _, err := c.Identity(ctx); err != nil || own != tc.sts {
				t.Errorf("Identity %q %v, want STS's %s", own, err, tc.sts)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("%d GetCallerIdentity calls, want 1 (the claim's check is Identity's answer)", n)
			}
		})
	}
}

// No claim without an account in the credentials or outside the aws
// partition (whose name would be a guess): nothing to verify, no call.
func TestNoClaimWithoutAnAccountOrOutsideTheAWSPartition(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ region, account string }{{"us-east-1", ""}, {"cn-north-1", "111111111111"},
		{"us-gov-west-1", "111111111111"}, {"us-east-1", "not-an-account"}} {
		var calls atomic.Int32
		release := make(chan struct{})
		close(release)
		c := claimingClients(stsSays(t, "111111111111", release, &calls).URL, tc.region, tc.account)
		if account, _, ok := c.ClaimedAccount(ctx); ok || account != "" {
			t.Errorf("%s %q: claimed %q", tc.region, tc.account, account)
		}
		if err := c.VerifyIdentity(ctx); err != nil || calls.Load() != 0 {
			t.Errorf("%s %q: nothing claimed, nothing to verify: %v, %d calls", tc.region, tc.account, err, calls.Load())
		}
	}
}
