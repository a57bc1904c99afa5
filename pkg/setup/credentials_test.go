package setup

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/forcessl/forcessl/pkg/route"
)

// A member's assumed-role credentials are refreshed CredentialsExpiryWindow
// before they expire (so a call made just before expiry never fails with
// ExpiredTokenException), and one session serves every region: one
// AssumeRole, however many regional clients.
func TestMemberCredentialsRefreshEarlyAndAreShared(t *testing.T) {
	expiration := time.Now().Add(20 * time.Minute).UTC().Truncate(time.Second)
	var assumes atomic.Int32
	stsServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "AssumeRole" {
			http.Error(w, "unexpected "+r.Form.Get("Action"), http.StatusBadRequest)
			return
		}
		assumes.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>
<Expiration>` + expiration.Format(time.RFC3339) + `</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::222222222222:assumed-role/forcessl-remediation/forcessl-sweep</Arn><AssumedRoleId>AROA:forcessl-sweep</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>`))
	}))
	defer stsServer.Close()
	c := newClients(func() (aws.Config, error) {
		return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(stsServer.URL),
			Credentials: credentials.NewStaticCredentialsProvider("AKIDCENTRAL", "secret", "")}, nil
	})
	rt := route.Route{Kind: route.Member, Account: "222222222222", RoleARN: "arn:aws:iam::222222222222:role/forcessl-remediation"}
	ctx := context.Background()
	// A sweep warms the session ahead of the item (Dispatcher.Warm): the
	// item's clients then find it assumed.
	if err := c.Warm(ctx, rt, "eu-west-1", "forcessl-sweep"); err != nil {
		t.Fatal(err)
	}
	if n := assumes.Load(); n != 1 {
		t.Fatalf("Warm made %d AssumeRole calls, want 1", n)
	}
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		cl, err := c.RDS(ctx, rt, region, "forcessl-sweep")
		if err != nil {
			t.Fatal(err)
		}
		creds, err := cl.(*rds.Client).Options().Credentials.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || !creds.CanExpire {
			t.Fatalf("%s: not the member's credentials: %+v", region, creds)
		}
		if want := expiration.Add(-CredentialsExpiryWindow); !creds.Expires.Equal(want) {
			t.Errorf("%s: credentials expire for the cache at %s, want %s (a minute early)", region, creds.Expires, want)
		}
	}
	if n := assumes.Load(); n != 1 {
		t.Errorf("%d AssumeRole calls for two regions of one account (warmed first), want 1", n)
	}
}
