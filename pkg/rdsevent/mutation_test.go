package rdsevent

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/forcessl/forcessl/pkg/request"
)

// rdsEvent builds an RDS event of any detail type from an envelope account
// and region ("" leaves them out).
func rdsEvent(detailType, account, region string, detail map[string]any) string {
	env := map[string]any{"version": "0", "id": "e1", "detail-type": detailType, "source": "aws.rds", "detail": detail}
	if account != "" {
		env["account"] = account
	}
	if region != "" {
		env["region"] = region
	}
	b, _ := json.Marshal(env)
	return string(b)
}

// The same-origin guard of RDS events, both halves: an event whose envelope
// names another account OR another region than its SourceArn is ignored;
// an envelope silent on one of them takes the ARN's.
func TestSameOriginBothHalves(t *testing.T) {
	const (
		acct, region = "111122223333", "eu-west-1"
		dbARN        = "arn:aws:rds:eu-west-1:111122223333:db:sales-db"
		clusterARN   = "arn:aws:rds:eu-west-1:111122223333:cluster:orders"
		pgARN        = "arn:aws:rds:eu-west-1:111122223333:pg:app"
	)
	kinds := []struct {
		name, detailType string
		detail           map[string]any
	}{
		{"instance", DetailInstance, map[string]any{"SourceArn": dbARN, "EventID": "RDS-EVENT-0005"}},
		{"cluster", DetailCluster, map[string]any{"SourceArn": clusterARN, "EventID": "RDS-EVENT-0170"}},
		{"parameter group", DetailParameterGroup, map[string]any{"SourceArn": pgARN, "EventID": ParameterGroupEvent}},
	}
	// An envelope silent on either is refused outright (issue 19: every
	// aws.rds event EventBridge delivers carries both).
	const elsewhere, silent = "names a resource in 111122223333/eu-west-1", "without the envelope's account and region"
	origins := []struct {
		name, account, region string
		refused               string // "" accepted; else the reason's words
	}{
		{"same account and region", acct, region, ""},
		{"envelope silent on both", "", "", silent},
		{"envelope silent on the region", acct, "", silent},
		{"envelope silent on the account", "", region, silent},
		{"another region", acct, "us-east-1", elsewhere},
		{"another account", "999999999999", region, elsewhere},
		{"another region, account silent", "", "us-east-1", silent},
		{"another account, region silent", "999999999999", "", silent},
	}
	for _, k := range kinds {
		for _, o := range origins {
			t.Run(k.name+": "+o.name, func(t *testing.T) {
				req, err := Parse([]byte(rdsEvent(k.detailType, o.account, o.region, k.detail)))
				if o.refused != "" {
					if !errors.Is(err, ErrIgnored) || !strings.Contains(err.Error(), o.refused) {
						t.Fatalf("Parse = %+v, %v; want ignored: %s", req, err, o.refused)
					}
					return
				}
				if err != nil || req.Account != acct || req.Region != region {
					t.Fatalf("Parse = %+v, %v; want a request in %s/%s", req, err, acct, region)
				}
			})
		}
	}
}

// An ARN is read only when every part is where RDS puts it.
func TestARNShape(t *testing.T) {
	tests := []struct {
		name, arn string
		ok        bool
	}{
		{"RDS instance ARN", "arn:aws:rds:eu-west-1:111122223333:db:sales-db", true},
		{"other partition", "arn:aws-cn:rds:cn-north-1:111122223333:db:sales-db", true},
		{"not an ARN", "xrn:aws:rds:eu-west-1:111122223333:db:sales-db", false},
		{"another service", "arn:aws:ec2:eu-west-1:111122223333:db:sales-db", false},
		{"another resource kind", "arn:aws:rds:eu-west-1:111122223333:snapshot:sales-db", false},
		{"too few parts", "arn:aws:rds:eu-west-1:111122223333:db", false},
		{"too many parts", "arn:aws:rds:eu-west-1:111122223333:db:sales-db:x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The envelope names the ARN's own account and region (every
			// aws.rds event carries them), so only the ARN's shape decides.
			acct, region := "111122223333", "eu-west-1"
			if strings.HasPrefix(tt.arn, "arn:aws-cn:") {
				region = "cn-north-1"
			}
			req, err := Parse([]byte(rdsEvent(DetailInstance, acct, region, map[string]any{"SourceArn": tt.arn, "EventID": "RDS-EVENT-0005"})))
			if tt.ok != (err == nil) {
				t.Fatalf("Parse(%s) = %+v, %v; want ok %v", tt.arn, req, err, tt.ok)
			}
			if err == nil && (req.Instance != "sales-db" || req.Account != "111122223333") {
				t.Errorf("Parse(%s) = %+v", tt.arn, req)
			}
		})
	}
}

func TestParameterGroupEventIDs(t *testing.T) {
	const arn = "arn:aws:rds:eu-west-1:111122223333:pg:app"
	tests := []struct {
		name, id, msg string
		ok            bool
	}{
		{"by ID", ParameterGroupEvent, "", true},
		{"no ID, parameter message", "", "Updated parameter max_connections to 100", true},
		{"no ID, other message", "", "Parameter group created", false},
		{"another ID with a parameter message", "RDS-EVENT-0038", "Updated parameter x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := map[string]any{"SourceArn": arn, "Message": tt.msg}
			if tt.id != "" {
				d["EventID"] = tt.id
			}
			req, err := Parse([]byte(rdsEvent(DetailParameterGroup, "111122223333", "eu-west-1", d)))
			if tt.ok != (err == nil) {
				t.Fatalf("Parse = %+v, %v; want ok %v", req, err, tt.ok)
			}
			if tt.ok && (req.Target != request.TargetParameterGroup || req.ParameterGroup != "app" || req.Cause != ParameterGroupEvent) {
				t.Errorf("Parse = %+v", req)
			}
		})
	}
}

// Every scheduled action forcessl writes comes back as itself; a cluster's
// names the cluster and no instance.
func TestScheduledActions(t *testing.T) {
	for _, action := range []request.Trigger{request.TriggerReboot, request.TriggerRecheck, request.TriggerNotice} {
		for _, cluster := range []string{"", "orders"} {
			b, err := ScheduledPayload(Scheduled{Action: action, Account: "111122223333", Region: "eu-west-1", Instance: "db-1", Cluster: cluster, ResourceID: "db-ABC"})
			if err != nil {
				t.Fatal(err)
			}
			req, err := Parse(b)
			if err != nil {
				t.Fatalf("%s %q: %v", action, cluster, err)
			}
			wantTarget, wantInstance := request.TargetInstance, "db-1"
			if cluster != "" {
				wantTarget, wantInstance = request.TargetCluster, ""
			}
			if req.Trigger != action || req.Target != wantTarget || req.Instance != wantInstance || req.Cluster != cluster ||
				req.ResourceID != "db-ABC" || req.Cause != "scheduled-"+string(action) {
				t.Errorf("%s %q: %+v", action, cluster, req)
			}
		}
	}
}

// Each kind of target has its name checked.
func TestNamesChecked(t *testing.T) {
	tests := []struct {
		name, payload, want string
	}{
		{"instance", apiCallEvent("ModifyDBInstance", `,"requestParameters":{"dBInstanceIdentifier":"bad_name"}`), `instance identifier "bad_name" is not valid`},
		{"parameter group", apiCallEvent("ModifyDBParameterGroup", `,"requestParameters":{"dBParameterGroupName":"bad_name"}`), `parameter group name "bad_name" is not valid`},
		{"cluster", apiCallEvent("ModifyDBCluster", `,"requestParameters":{"dBClusterIdentifier":"bad_name"}`), `cluster identifier "bad_name" is not valid`},
		{"cluster parameter group", apiCallEvent("ModifyDBClusterParameterGroup", `,"requestParameters":{"dBClusterParameterGroupName":"bad_name"}`), `cluster parameter group name "bad_name" is not valid`},
		{"scheduled cluster", `{"detail-type":"forcessl Scheduled Action","source":"forcessl","account":"111122223333","region":"eu-west-1","detail":{"action":"reboot","account":"111122223333","region":"eu-west-1","cluster":"9x"}}`, `cluster identifier "9x" is not valid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Parse([]byte(tt.payload))
			if !errors.Is(err, ErrIgnored) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %+v, %v; want ignored: %s", req, err, tt.want)
			}
		})
	}
}

// validName's character classes at their edges.
func TestValidNameEdges(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"a", true}, {"z", true}, {"A", true}, {"Z", true},
		{"a09", true}, {"azAZ", true}, {"a-b.c", true},
		{"0a", false}, {"@a", false}, {"[a", false}, {"`a", false}, {"{a", false},
		{"a/", false}, {"a:", false}, {"a@", false}, {"a[", false}, {"a`", false}, {"a{", false}, {"a_", false},
	}
	for _, tt := range tests {
		if got := validName(tt.in); got != tt.want {
			t.Errorf("validName(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// Cluster API calls: which name wins, and an ARN given as the name.
func TestClusterCallNames(t *testing.T) {
	const arn = "arn:aws:rds:eu-west-1:111122223333:cluster:orders"
	tests := []struct {
		name, extra, cluster, resID, ignored string
	}{
		{"response ARN over the request's name", `,"requestParameters":{"dBClusterIdentifier":"src"},"responseElements":{"dBClusterArn":"` + arn + `","dbClusterResourceId":"cluster-A"}`, "orders", "cluster-A", ""},
		{"request names the cluster by ARN", `,"requestParameters":{"dBClusterIdentifier":"` + arn + `"}`, "orders", "", ""},
		{"request ARN of the wrong kind", `,"requestParameters":{"dBClusterIdentifier":"arn:aws:rds:eu-west-1:111122223333:db:orders"}`, "", "", "SourceArn"},
		{"response ARN of the wrong kind", `,"requestParameters":{"dBClusterIdentifier":"orders"},"responseElements":{"dBClusterArn":"arn:aws:rds:eu-west-1:111122223333:db:orders"}`, "", "", "SourceArn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Parse([]byte(apiCallEvent("RestoreDBClusterFromSnapshot", tt.extra)))
			if tt.ignored != "" {
				if !errors.Is(err, ErrIgnored) || !strings.Contains(err.Error(), tt.ignored) {
					t.Fatalf("Parse = %+v, %v; want ignored: %s", req, err, tt.ignored)
				}
				return
			}
			if err != nil || req.Target != request.TargetCluster || req.Cluster != tt.cluster || req.ResourceID != tt.resID {
				t.Errorf("Parse = %+v, %v; want cluster %q resource %q", req, err, tt.cluster, tt.resID)
			}
		})
	}
	// A plain CreateDBInstance (no cluster) stays an instance request.
	req, err := Parse([]byte(apiCallEvent("CreateDBInstance", `,"requestParameters":{"dBInstanceIdentifier":"solo"}`)))
	if err != nil || req.Target != request.TargetInstance || req.Instance != "solo" {
		t.Errorf("CreateDBInstance without a cluster: %+v, %v", req, err)
	}
}

// An RDS event's detail that is not the documented object is ignored, for
// each detail type.
func TestMalformedDetails(t *testing.T) {
	for _, dt := range []string{DetailInstance, DetailCluster, DetailParameterGroup, DetailAPICall} {
		p := `{"source":"aws.rds","account":"123456789012","region":"us-east-1","detail-type":"` + dt + `","detail":[1]}`
		if _, err := Parse([]byte(p)); !errors.Is(err, ErrIgnored) || !strings.Contains(err.Error(), "malformed") {
			t.Errorf("%s: %v", dt, err)
		}
	}
	for _, dt := range []string{DetailScheduled, DetailSweepItem, DetailSweepDeadline} {
		p := `{"source":"forcessl","detail-type":"` + dt + `","detail":[1]}`
		if _, err := Parse([]byte(p)); !errors.Is(err, ErrIgnored) || !strings.Contains(err.Error(), "malformed") {
			t.Errorf("%s: %v", dt, err)
		}
	}
}
