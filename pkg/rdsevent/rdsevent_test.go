package rdsevent

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forcessl/forcessl/pkg/request"
)

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The AWS-published samples (copied from shared/reference/samples) and our
// events/ folder: each either parses to the request below or is ignored.
func TestParseSamples(t *testing.T) {
	tests := []struct {
		file string
		want *request.Request // nil: ignored
	}{
		{"testdata/eventbridge-rds-db-parameter-group-event-0037.json", &request.Request{Target: request.TargetParameterGroup, Trigger: request.TriggerChange,
			Account: "123456789012", Region: "us-east-1", ParameterGroup: "my-db-param-group", Cause: "RDS-EVENT-0037"}},
		{"testdata/eventbridge-cloudtrail-envelope-CreateDBInstance-CONSTRUCTED.json", &request.Request{Target: request.TargetInstance, Trigger: request.TriggerChange,
			Account: "123456789012", Region: "us-east-1", Instance: "test-instance", Cause: "CreateDBInstance"}},
		{"testdata/eventbridge-rds-db-instance-event-0049-failover.json", nil},
		{"testdata/eventbridge-rds-db-instance-event-0087-stopped.json", nil},
		{"testdata/eventbridge-rds-db-instance-event-backup-lambda-guide-no-eventid.json", nil},
		{"testdata/eventbridge-rds-db-snapshot-event-0041.json", nil},
		// An engine upgrade can bring a new family and new defaults: look.
		{"testdata/eventbridge-rds-db-cluster-event-0173-aurora.json", &request.Request{Target: request.TargetCluster, Trigger: request.TriggerChange,
			Account: "123456789012", Region: "us-east-1", Cluster: "my-db-cluster", Cause: "RDS-EVENT-0173"}},
		{"testdata/eventbridge-rds-db-cluster-snapshot-event-0074-aurora.json", nil},
		{"../../events/instance-created.json", &request.Request{Target: request.TargetInstance, Trigger: request.TriggerChange,
			Account: "123456789012", Region: "us-east-1", Instance: "orders-sql", Cause: "RDS-EVENT-0005"}},
		{"../../events/instance-restarted.json", &request.Request{Target: request.TargetInstance, Trigger: request.TriggerRestarted,
			Account: "123456789012", Region: "us-east-1", Instance: "orders-sql", Cause: "RDS-EVENT-0006"}},
		{"../../events/parameter-group-changed.json", &request.Request{Target: request.TargetParameterGroup, Trigger: request.TriggerChange,
			Account: "123456789012", Region: "us-east-1", ParameterGroup: "shared-sqlserver", Cause: "RDS-EVENT-0037"}},
		{"../../events/cloudtrail-create-db-instance.json", &request.Request{Target: request.TargetInstance, Trigger: request.TriggerChange,
			Account: "123456789012", Region: "us-east-1", Instance: "orders-sql", Cause: "CreateDBInstance"}},
		{"../../events/cluster-created.json", &request.Request{Target: request.TargetCluster, Trigger: request.TriggerChange,
			Account: "123456789012", Region: "us-east-1", Cluster: "orders-aurora", Cause: "RDS-EVENT-0170"}},
		{"../../events/cloudtrail-create-db-cluster.json", &request.Request{Target: request.TargetCluster, Trigger: request.TriggerChange,
			Account: "123456789012", Region: "us-east-1", Cluster: "orders-aurora", ResourceID: "cluster-ORDERSAURORA0000000000001", Cause: "CreateDBCluster"}},
		{"../../events/cloudtrail-modify-db-cluster-parameter-group.json", &request.Request{Target: request.TargetClusterParameterGroup,
			Trigger: request.TriggerChange, Account: "123456789012", Region: "us-east-1", ClusterParameterGroup: "app-aurora", Cause: "ModifyDBClusterParameterGroup"}},
		{"../../events/scheduled-reboot.json", &request.Request{Target: request.TargetInstance, Trigger: request.TriggerReboot,
			Account: "123456789012", Region: "us-east-1", Instance: "orders-sql", Cause: "scheduled-reboot"}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			got, err := Parse(read(t, tt.file))
			if tt.want == nil {
				if !errors.Is(err, ErrIgnored) {
					t.Fatalf("Parse = %+v, %v; want ErrIgnored", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.EventID, got.EventTime = "", time.Time{} // checked in TestEventTime
			if got != *tt.want {
				t.Errorf("Parse =\n %+v\nwant\n %+v", got, *tt.want)
			}
		})
	}
}

// instanceEvent builds an RDS DB Instance Event with the given detail fields.
func instanceEvent(eventID, message, sourceArn, sourceIdentifier string) string {
	d := map[string]any{"SourceArn": sourceArn, "Message": message, "SourceIdentifier": sourceIdentifier, "SourceType": "DB_INSTANCE"}
	if eventID != "" {
		d["EventID"] = eventID
	}
	b, _ := json.Marshal(map[string]any{"version": "0", "id": "x", "detail-type": DetailInstance, "source": "aws.rds",
		"account": "111122223333", "region": "eu-west-1", "resources": []string{sourceArn}, "detail": d})
	return string(b)
}

func apiCallEvent(name string, extra string) string {
	return `{"version":"0","id":"y","detail-type":"AWS API Call via CloudTrail","source":"aws.rds","account":"111122223333","region":"eu-west-1",
	"detail":{"eventSource":"rds.amazonaws.com","eventName":"` + name + `","awsRegion":"eu-west-1","recipientAccountId":"111122223333"` + extra + `}}`
}

func TestParse(t *testing.T) {
	const arn = "arn:aws:rds:eu-west-1:111122223333:db:sales-db"
	tests := []struct {
		name        string
		payload     string
		wantTrigger request.Trigger
		wantTarget  request.Target
		wantName    string
		wantIgnored string // substring of the reason
	}{
		{"every instance event ID we act on: restored from snapshot", instanceEvent("RDS-EVENT-0043", "Restored from snapshot s1", arn, "sales-db"), request.TriggerChange, request.TargetInstance, "sales-db", ""},
		{"point in time restore", instanceEvent("RDS-EVENT-0019", "Restored from DB instance a to b", arn, "rds:sales-db"), request.TriggerChange, request.TargetInstance, "sales-db", ""},
		{"group attached", instanceEvent("RDS-EVENT-0011", "Updated to use DBParameterGroup x", arn, ""), request.TriggerChange, request.TargetInstance, "sales-db", ""},
		{"class change finished", instanceEvent("RDS-EVENT-0014", "", arn, ""), request.TriggerChange, request.TargetInstance, "sales-db", ""},
		{"storage change finished", instanceEvent("RDS-EVENT-0017", "", arn, ""), request.TriggerChange, request.TargetInstance, "sales-db", ""},
		{"multi-az", instanceEvent("RDS-EVENT-0025", "", arn, ""), request.TriggerChange, request.TargetInstance, "sales-db", ""},
		{"single-az", instanceEvent("RDS-EVENT-0029", "", arn, ""), request.TriggerChange, request.TargetInstance, "sales-db", ""},
		{"group finished updating", instanceEvent("RDS-EVENT-0092", "", arn, ""), request.TriggerChange, request.TargetInstance, "sales-db", ""},
		{"restarted", instanceEvent("RDS-EVENT-0006", "DB instance restarted.", arn, ""), request.TriggerRestarted, request.TargetInstance, "sales-db", ""},
		{"identifier comes from SourceArn, not SourceIdentifier", instanceEvent("RDS-EVENT-0005", "", arn, "rds:something-else"), request.TriggerChange, request.TargetInstance, "sales-db", ""},
		{"no EventID: falls back to the message", instanceEvent("", "DB instance created.", arn, ""), request.TriggerChange, request.TargetInstance, "sales-db", ""},
		{"no EventID and unknown message", instanceEvent("", "Finished DB Instance backup", arn, ""), "", "", "", "not one forcessl acts on"},
		{"other event ID", instanceEvent("RDS-EVENT-0004", "DB instance shutdown.", arn, ""), "", "", "", "not one forcessl acts on"},
		{"missing SourceArn", instanceEvent("RDS-EVENT-0005", "", "", "rds:sales-db"), "", "", "", "not an RDS db ARN"},
		{"cluster ARN in instance event", instanceEvent("RDS-EVENT-0005", "", "arn:aws:rds:eu-west-1:111122223333:cluster:c", ""), "", "", "", "not an RDS db ARN"},
		{"ARN from another account than the envelope", instanceEvent("RDS-EVENT-0005", "", "arn:aws:rds:eu-west-1:999999999999:db:x", ""), "", "", "", "names a resource in"},
		{"CloudTrail CreateDBInstance", apiCallEvent("CreateDBInstance", `,"responseElements":{"dBInstanceArn":"`+arn+`"}`), request.TriggerChange, request.TargetInstance, "sales-db", ""},
		{"CloudTrail ModifyDBInstance rename uses the new name", apiCallEvent("ModifyDBInstance", `,"requestParameters":{"dBInstanceIdentifier":"old","newDBInstanceIdentifier":"new-name"},"responseElements":{"dBInstanceIdentifier":"old","dBInstanceArn":"arn:aws:rds:eu-west-1:111122223333:db:old","pendingModifiedValues":{"dBInstanceIdentifier":"new-name"}}`), request.TriggerChange, request.TargetInstance, "new-name", ""},
		{"CloudTrail PITR uses the target", apiCallEvent("RestoreDBInstanceToPointInTime", `,"requestParameters":{"sourceDBInstanceIdentifier":"src","targetDBInstanceIdentifier":"restored"}`), request.TriggerChange, request.TargetInstance, "restored", ""},
		{"CloudTrail read replica", apiCallEvent("CreateDBInstanceReadReplica", `,"requestParameters":{"dBInstanceIdentifier":"replica-1"}`), request.TriggerChange, request.TargetInstance, "replica-1", ""},
		{"CloudTrail snapshot restore", apiCallEvent("RestoreDBInstanceFromDBSnapshot", `,"requestParameters":{"dBInstanceIdentifier":"from-snap"}`), request.TriggerChange, request.TargetInstance, "from-snap", ""},
		{"CloudTrail ModifyDBParameterGroup", apiCallEvent("ModifyDBParameterGroup", `,"requestParameters":{"dBParameterGroupName":"pg-1"}`), request.TriggerChange, request.TargetParameterGroup, "pg-1", ""},
		{"CloudTrail ResetDBParameterGroup by ARN", apiCallEvent("ResetDBParameterGroup", `,"requestParameters":{"dBParameterGroupName":"arn:aws:rds:eu-west-1:111122223333:pg:pg-2"}`), request.TriggerChange, request.TargetParameterGroup, "pg-2", ""},
		{"CloudTrail failed call", apiCallEvent("CreateDBInstance", `,"errorCode":"InvalidParameterValue","requestParameters":{"dBInstanceIdentifier":"x"}`), "", "", "", "failed with InvalidParameterValue"},
		{"CloudTrail other call", apiCallEvent("DeleteDBInstance", `,"requestParameters":{"dBInstanceIdentifier":"x"}`), "", "", "", "not one forcessl acts on"},
		{"CloudTrail without identifier", apiCallEvent("CreateDBInstance", `,"responseElements":null`), "", "", "", "instance identifier"},
		{"CloudTrail from another service", strings.Replace(apiCallEvent("CreateDBInstance", ""), "rds.amazonaws.com", "ec2.amazonaws.com", 1), "", "", "", "not rds.amazonaws.com"},
		{"scheduled recheck", `{"detail-type":"forcessl Scheduled Action","source":"forcessl","detail":{"action":"recheck","account":"111122223333","region":"eu-west-1","instance":"sales-db"}}`, request.TriggerRecheck, request.TargetInstance, "sales-db", ""},
		{"scheduled unknown action", `{"detail-type":"forcessl Scheduled Action","source":"forcessl","detail":{"action":"delete","account":"111122223333","region":"eu-west-1","instance":"sales-db"}}`, "", "", "", "unknown scheduled action"},
		{"scheduled bad account", `{"detail-type":"forcessl Scheduled Action","source":"forcessl","detail":{"action":"reboot","account":"12","region":"eu-west-1","instance":"sales-db"}}`, "", "", "", "12-digit"},
		{"sweep item", `{"detail-type":"forcessl Sweep Item","source":"forcessl","detail":{"sweepId":"s1","account":"111122223333","region":"eu-west-1"}}`, request.TriggerSweep, request.TargetAccountRegion, "", ""},
		{"sweep item with a bad region", `{"detail-type":"forcessl Sweep Item","source":"forcessl","detail":{"sweepId":"s1","account":"111122223333","region":"moon"}}`, "", "", "", "not a region"},
		{"malformed JSON", `{"detail-type":`, "", "", "", "malformed JSON"},
		{"not an object", `[1,2]`, "", "", "", "malformed JSON"},
		{"empty", ``, "", "", "", "malformed JSON"},
		{"no detail", `{"source":"aws.rds","detail-type":"RDS DB Instance Event"}`, "", "", "", "no detail"},
		{"detail of the wrong type", `{"source":"aws.rds","detail-type":"RDS DB Instance Event","detail":"x"}`, "", "", "", "malformed"},
		{"spoofed source", strings.Replace(instanceEvent("RDS-EVENT-0005", "", arn, ""), `"aws.rds"`, `"custom.rds"`, 1), "", "", "", "unsupported event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.payload))
			if tt.wantIgnored != "" {
				if !errors.Is(err, ErrIgnored) || !strings.Contains(err.Error(), tt.wantIgnored) {
					t.Fatalf("Parse err = %v, want ErrIgnored containing %q", err, tt.wantIgnored)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			name := got.Instance
			if got.Target == request.TargetParameterGroup {
				name = got.ParameterGroup
			}
			if got.Trigger != tt.wantTrigger || got.Target != tt.wantTarget || name != tt.wantName ||
				got.Account != "111122223333" || got.Region != "eu-west-1" {
				t.Errorf("Parse = %+v; want %s %s %s in 111122223333/eu-west-1", got, tt.wantTrigger, tt.wantTarget, tt.wantName)
			}
		})
	}
}

func TestSweepStart(t *testing.T) {
	for _, p := range []string{
		`{"version":"0","id":"t1","detail-type":"Scheduled Event","source":"aws.events","account":"111122223333","region":"eu-west-1","resources":["arn:aws:events:eu-west-1:111122223333:rule/forcessl-sweep"],"detail":{}}`,
		`{"detail-type":"forcessl Sweep","source":"forcessl","detail":{}}`,
	} {
		req, err := Parse([]byte(p))
		if err != nil || req.Target != request.TargetSweep {
			t.Errorf("Parse(%s) = %+v, %v", p, req, err)
		}
	}
}

// A sweep start carries the scheduled event's ID and time, which name the
// run: the bare Scheduled Event in its envelope, forcessl's own start as
// the CDK rule's input passes them through. The constant input of earlier
// versions has neither.
func TestSweepStartCarriesTheEventsIDAndTime(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		payload string
		id      string
		time    time.Time
	}{
		{`{"version":"0","id":"t1","detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-26T10:00:00Z","detail":{}}`, "t1", at},
		{`{"version":"0","id":"t2","time":"2026-11-26T10:00:00Z","detail-type":"forcessl Sweep","source":"forcessl","detail":{}}`, "t2", at},
		{`{"detail-type":"forcessl Sweep","source":"forcessl","detail":{}}`, "", time.Time{}},
	} {
		req, err := Parse([]byte(tc.payload))
		if err != nil || req.EventID != tc.id || !req.EventTime.Equal(tc.time) {
			t.Errorf("Parse(%s) = ID %q, time %s, %v; want %q, %s", tc.payload, req.EventID, req.EventTime, err, tc.id, tc.time)
		}
	}
}

func TestSweepItemRoundTrip(t *testing.T) {
	b, err := SweepItemPayload(SweepItem{SweepID: "2026-11-26T10:00:00Z", Account: "111122223333", Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	req, err := Parse(b)
	if err != nil || req.Target != request.TargetAccountRegion || req.SweepID != "2026-11-26T10:00:00Z" || req.Account != "111122223333" {
		t.Errorf("round trip = %+v, %v", req, err)
	}
}

func TestScheduledPayloadRoundTrip(t *testing.T) {
	s := Scheduled{Action: request.TriggerReboot, Account: "111122223333", Region: "ap-southeast-2", Instance: "db-1"}
	b, err := ScheduledPayload(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Trigger != request.TriggerReboot || got.Instance != "db-1" || got.Account != s.Account || got.Region != s.Region {
		t.Errorf("round trip = %+v", got)
	}
}

// FuzzParse: any input yields a valid request or ErrIgnored, never a panic.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/eventbridge-rds-db-parameter-group-event-0037.json",
		"testdata/eventbridge-cloudtrail-envelope-CreateDBInstance-CONSTRUCTED.json",
		"../../events/instance-created.json", "../../events/scheduled-reboot.json", "../../events/cloudtrail-create-db-instance.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(cloudTrailEvent("", "", "111122223333", "eu-west-1", "ResetDBParameterGroup",
		map[string]any{"dBParameterGroupName": "arn:aws:rds:eu-west-1:111122223333:pg:pg-2"}, map[string]any{"dBInstanceArn": "arn:aws:rds:eu-west-1:111122223333:db:x"})))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrIgnored) {
				t.Fatalf("error not ErrIgnored: %v", err)
			}
			return
		}
		if req.Target != request.TargetSweep && validate(req) != nil {
			t.Fatalf("accepted invalid request %+v", req)
		}
	})
}

func TestValidName(t *testing.T) {
	for s, want := range map[string]bool{
		"orders-sql": true, "default.sqlserver-se-15.0": true, "A1": true, "x": true,
		"": false, "1db": false, "-db": false, "db_1": false, "db 1": false, "db/1": false,
		strings.Repeat("a", 255): true, strings.Repeat("a", 256): false,
	} {
		if got := validName(s); got != want {
			t.Errorf("validName(%q) = %v", s, got)
		}
	}
}

// cloudTrailEvent builds an "AWS API Call via CloudTrail" event; an empty
// account or region is left out.
func cloudTrailEvent(envAccount, envRegion, recipient, awsRegion, name string, request, response map[string]any) string {
	detail := map[string]any{"eventSource": "rds.amazonaws.com", "eventName": name, "requestParameters": request}
	if response != nil {
		detail["responseElements"] = response
	}
	if recipient != "" {
		detail["recipientAccountId"] = recipient
	}
	if awsRegion != "" {
		detail["awsRegion"] = awsRegion
	}
	env := map[string]any{"version": "0", "id": "z", "detail-type": DetailAPICall, "source": "aws.rds", "detail": detail}
	if envAccount != "" {
		env["account"] = envAccount
	}
	if envRegion != "" {
		env["region"] = envRegion
	}
	b, _ := json.Marshal(env)
	return string(b)
}

// CloudTrail events get RDS events' same-origin guard: recipientAccountId,
// awsRegion and the ARNs naming what forcessl acts on must match the
// envelope's account and region.
func TestAPICallSameOrigin(t *testing.T) {
	const (
		acct, other   = "111122223333", "999999999999"
		region, away  = "eu-west-1", "us-east-1"
		arn           = "arn:aws:rds:eu-west-1:111122223333:db:sales-db"
		otherAcctARN  = "arn:aws:rds:eu-west-1:999999999999:db:sales-db"
		otherRegARN   = "arn:aws:rds:us-east-1:111122223333:db:sales-db"
		pgARN         = "arn:aws:rds:eu-west-1:111122223333:pg:pg-2"
		otherAcctPG   = "arn:aws:rds:eu-west-1:999999999999:pg:pg-2"
		otherRegionPG = "arn:aws:rds:us-east-1:111122223333:pg:pg-2"
	)
	type m = map[string]any
	created := m{"dBInstanceArn": arn, "dBInstanceIdentifier": "sales-db"}
	tests := []struct {
		name        string
		payload     string
		wantName    string // instance or parameter group, in acct/region
		wantIgnored string // substring of the reason
	}{
		{"everything agrees", cloudTrailEvent(acct, region, acct, region, "CreateDBInstance", m{"dBInstanceIdentifier": "sales-db"}, created), "sales-db", ""},
		{"envelope without account and region: the record's", cloudTrailEvent("", "", acct, region, "CreateDBInstance", m{"dBInstanceIdentifier": "sales-db"}, created), "sales-db", ""},
		{"nothing but the ARN says where", cloudTrailEvent("", "", "", "", "CreateDBInstance", m{}, created), "sales-db", ""},
		{"record without recipientAccountId and awsRegion: the envelope's", cloudTrailEvent(acct, region, "", "", "ModifyDBInstance", m{"dBInstanceIdentifier": "sales-db"}, nil), "sales-db", ""},
		{"rename whose old ARN agrees", cloudTrailEvent(acct, region, acct, region, "ModifyDBInstance", m{"dBInstanceIdentifier": "sales-db", "newDBInstanceIdentifier": "new-name"}, created), "new-name", ""},
		{"parameter group by ARN", cloudTrailEvent(acct, region, acct, region, "ResetDBParameterGroup", m{"dBParameterGroupName": pgARN}, nil), "pg-2", ""},
		{"cross-region replica: the source ARN may be elsewhere", cloudTrailEvent(acct, region, acct, region, "CreateDBInstanceReadReplica",
			m{"dBInstanceIdentifier": "sales-db", "sourceDBInstanceIdentifier": "arn:aws:rds:us-east-1:111122223333:db:primary"}, created), "sales-db", ""},
		{"restore from a snapshot shared by another account", cloudTrailEvent(acct, region, acct, region, "RestoreDBInstanceFromDBSnapshot",
			m{"dBInstanceIdentifier": "sales-db", "dBSnapshotIdentifier": "arn:aws:rds:eu-west-1:999999999999:snapshot:s1"}, created), "sales-db", ""},

		{"recipientAccountId is another account", cloudTrailEvent(acct, region, other, region, "CreateDBInstance", m{"dBInstanceIdentifier": "sales-db"}, nil), "",
			`recipientAccountId names account "999999999999", the envelope "111122223333"`},
		{"awsRegion is another region", cloudTrailEvent(acct, region, acct, away, "CreateDBInstance", m{"dBInstanceIdentifier": "sales-db"}, nil), "",
			`awsRegion names region "us-east-1", the envelope "eu-west-1"`},
		{"instance ARN in another account", cloudTrailEvent(acct, region, acct, region, "CreateDBInstance", m{}, m{"dBInstanceArn": otherAcctARN}), "",
			`responseElements.dBInstanceArn names account "999999999999", the envelope "111122223333"`},
		{"instance ARN in another region", cloudTrailEvent(acct, region, acct, region, "CreateDBInstance", m{}, m{"dBInstanceArn": otherRegARN}), "",
			`responseElements.dBInstanceArn names region "us-east-1", the envelope "eu-west-1"`},
		{"rename of an instance in another account", cloudTrailEvent(acct, region, acct, region, "ModifyDBInstance",
			m{"dBInstanceIdentifier": "sales-db", "newDBInstanceIdentifier": "new-name"}, m{"dBInstanceArn": otherAcctARN}), "", "responseElements.dBInstanceArn names account"},
		{"instance identifier given as another account's ARN", cloudTrailEvent(acct, region, acct, region, "ModifyDBInstance", m{"dBInstanceIdentifier": otherAcctARN}, nil), "",
			`requestParameters.dBInstanceIdentifier names account "999999999999"`},
		{"restore target in another region", cloudTrailEvent(acct, region, acct, region, "RestoreDBInstanceToPointInTime", m{"targetDBInstanceIdentifier": otherRegARN}, nil), "",
			`requestParameters.targetDBInstanceIdentifier names region "us-east-1"`},
		{"parameter group ARN in another account", cloudTrailEvent(acct, region, acct, region, "ModifyDBParameterGroup", m{"dBParameterGroupName": otherAcctPG}, nil), "",
			`requestParameters.dBParameterGroupName names account "999999999999"`},
		{"parameter group ARN in another region", cloudTrailEvent(acct, region, acct, region, "ModifyDBParameterGroup", m{"dBParameterGroupName": otherRegionPG}, nil), "",
			`requestParameters.dBParameterGroupName names region "us-east-1"`},
		{"envelope silent, record and ARN disagree", cloudTrailEvent("", "", acct, region, "CreateDBInstance", m{}, m{"dBInstanceArn": otherAcctARN}), "",
			`responseElements.dBInstanceArn names account "999999999999", recipientAccountId "111122223333"`},
		{"parameter group ARN of the wrong kind", cloudTrailEvent(acct, region, acct, region, "ModifyDBParameterGroup", m{"dBParameterGroupName": arn}, nil), "",
			"requestParameters.dBParameterGroupName: SourceArn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.payload))
			if tt.wantIgnored != "" {
				if !errors.Is(err, ErrIgnored) || !strings.Contains(err.Error(), tt.wantIgnored) {
					t.Fatalf("Parse = %+v, %v; want ErrIgnored containing %q", got, err, tt.wantIgnored)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			name := got.Instance
			if got.Target == request.TargetParameterGroup {
				name = got.ParameterGroup
			}
			if name != tt.wantName || got.Account != acct || got.Region != region {
				t.Errorf("Parse = %+v; want %s in %s/%s", got, tt.wantName, acct, region)
			}
		})
	}
}

func TestSweepDeadlineRoundTrip(t *testing.T) {
	b, err := SweepDeadlinePayload(SweepDeadline{SweepID: "2026-11-26T10:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	req, err := Parse(b)
	if err != nil || req.Target != request.TargetSweepDeadline || req.SweepID != "2026-11-26T10:00:00Z" {
		t.Fatalf("%+v %v", req, err)
	}
	if _, err := Parse([]byte(`{"source":"forcessl","detail-type":"forcessl Sweep Deadline","detail":{}}`)); !errors.Is(err, ErrIgnored) {
		t.Errorf("a deadline without a sweep must be ignored, got %v", err)
	}
}

func TestEventTime(t *testing.T) {
	req, err := Parse(read(t, "../../events/instance-restarted.json"))
	if err != nil || !req.EventTime.Equal(time.Date(2026, 11, 29, 5, 2, 10, 0, time.UTC)) {
		t.Fatalf("%+v %v", req, err)
	}
	noTime := strings.Replace(string(read(t, "../../events/instance-created.json")), `"time": "2026-11-26T10:00:00Z",`, `"time": "yesterday",`, 1)
	if req, err := Parse([]byte(noTime)); err != nil || !req.EventTime.IsZero() {
		t.Errorf("an unreadable time is left out: %+v %v", req, err)
	}
}

// A rename queued for the window names an instance that does not exist
// yet: the request carries the resource ID, which finds it by its old name.
func TestRenameCarriesTheResourceID(t *testing.T) {
	ev := apiCallEvent("ModifyDBInstance", `,"requestParameters":{"dBInstanceIdentifier":"old","newDBInstanceIdentifier":"new-name"},`+
		`"responseElements":{"dBInstanceIdentifier":"old","dbiResourceId":"db-ABCDEFGHIJKLMNOPQRSTUVWXYZ","dBInstanceArn":"arn:aws:rds:eu-west-1:111122223333:db:old"}`)
	req, err := Parse([]byte(ev))
	if err != nil || req.Instance != "new-name" || req.ResourceID != "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
		t.Fatalf("%+v %v", req, err)
	}
}

// DB cluster intake: the cluster event table's IDs, and CloudTrail's
// cluster calls (a member added reconciles its cluster).
func TestClusterIntake(t *testing.T) {
	const arn = "arn:aws:rds:eu-west-1:111122223333:cluster:orders"
	clusterEvent := func(id, msg string) string {
		return `{"detail-type":"RDS DB Cluster Event","source":"aws.rds","account":"111122223333","region":"eu-west-1",` +
			`"detail":{"SourceArn":"` + arn + `","EventID":"` + id + `","Message":"` + msg + `"}}`
	}
	for _, tt := range []struct {
		name, payload         string
		target                request.Target
		cluster, group, resID string
	}{
		{"created", clusterEvent("RDS-EVENT-0170", "DB cluster created."), request.TargetCluster, "orders", "", ""},
		{"no EventID: by message", clusterEvent("", "DB cluster created."), request.TargetCluster, "orders", "", ""},
		{"CreateDBCluster", apiCallEvent("CreateDBCluster", `,"requestParameters":{"dBClusterIdentifier":"orders"},"responseElements":{"dBClusterArn":"`+arn+`","dbClusterResourceId":"cluster-ABC"}`),
			request.TargetCluster, "orders", "", "cluster-ABC"},
		{"ModifyDBCluster rename", apiCallEvent("ModifyDBCluster", `,"requestParameters":{"dBClusterIdentifier":"orders","newDBClusterIdentifier":"orders-v2"},"responseElements":{"dBClusterArn":"`+arn+`","dbClusterResourceId":"cluster-ABC"}`),
			request.TargetCluster, "orders-v2", "", "cluster-ABC"},
		{"RestoreDBClusterToPointInTime", apiCallEvent("RestoreDBClusterToPointInTime", `,"requestParameters":{"dBClusterIdentifier":"restored","sourceDBClusterIdentifier":"orders"}`),
			request.TargetCluster, "restored", "", ""},
		{"a member added", apiCallEvent("CreateDBInstance", `,"requestParameters":{"dBInstanceIdentifier":"orders-r3","dBClusterIdentifier":"orders"},"responseElements":{"dbiResourceId":"db-XYZ"}`),
			request.TargetCluster, "orders", "", ""},
		{"ModifyDBClusterParameterGroup", apiCallEvent("ModifyDBClusterParameterGroup", `,"requestParameters":{"dBClusterParameterGroupName":"app-cluster"}`),
			request.TargetClusterParameterGroup, "", "app-cluster", ""},
		{"ResetDBClusterParameterGroup by ARN", apiCallEvent("ResetDBClusterParameterGroup", `,"requestParameters":{"dBClusterParameterGroupName":"arn:aws:rds:eu-west-1:111122223333:cluster-pg:app-cluster"}`),
			request.TargetClusterParameterGroup, "", "app-cluster", ""},
	} {
		req, err := Parse([]byte(tt.payload))
		if err != nil || req.Target != tt.target || req.Cluster != tt.cluster || req.ClusterParameterGroup != tt.group || req.ResourceID != tt.resID {
			t.Errorf("%s: %+v %v", tt.name, req, err)
		}
	}
	for _, bad := range []string{
		clusterEvent("RDS-EVENT-0179", "Database Activity Streams is started"),
		strings.Replace(clusterEvent("RDS-EVENT-0170", ""), `"account":"111122223333"`, `"account":"999999999999"`, 1),
		apiCallEvent("ModifyDBCluster", `,"requestParameters":{"dBClusterIdentifier":"arn:aws:rds:eu-west-1:999999999999:cluster:x"}`),
	} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, ErrIgnored) {
			t.Errorf("must be ignored: %s (%v)", bad, err)
		}
	}
}
