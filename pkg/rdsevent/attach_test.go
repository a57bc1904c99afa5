package rdsevent

import "testing"

// A call that named a forcessl-* group for a resource (an attach) says so,
// so the engine compares that group with its source; any other call does
// not, and costs no group reads.
func TestAttachOfOurGroupIsMarked(t *testing.T) {
	const acct, region = "111122223333", "eu-west-1"
	type m = map[string]any
	for _, tt := range []struct {
		name string
		ev   string
		want bool
	}{
		{"ModifyDBInstance attaching a forcessl group", cloudTrailEvent(acct, region, acct, region, "ModifyDBInstance",
			m{"dBInstanceIdentifier": "sales-db", "dBParameterGroupName": "forcessl-app-pg"}, nil), true},
		{"spelled in capitals, as CloudTrail keeps it", cloudTrailEvent(acct, region, acct, region, "ModifyDBInstance",
			m{"dBInstanceIdentifier": "sales-db", "dBParameterGroupName": "FORCESSL-App-PG"}, nil), true},
		{"ModifyDBInstance attaching the owner's group", cloudTrailEvent(acct, region, acct, region, "ModifyDBInstance",
			m{"dBInstanceIdentifier": "sales-db", "dBParameterGroupName": "app-pg"}, nil), false},
		{"ModifyDBInstance without a group", cloudTrailEvent(acct, region, acct, region, "ModifyDBInstance",
			m{"dBInstanceIdentifier": "sales-db", "allocatedStorage": 100}, nil), false},
		{"CreateDBInstance on a forcessl group", cloudTrailEvent(acct, region, acct, region, "CreateDBInstance",
			m{"dBInstanceIdentifier": "sales-db", "dBParameterGroupName": "forcessl-app-pg"}, nil), true},
		{"ModifyDBCluster attaching a forcessl cluster group", cloudTrailEvent(acct, region, acct, region, "ModifyDBCluster",
			m{"dBClusterIdentifier": "aurora-1", "dBClusterParameterGroupName": "forcessl-aurora-pg"}, nil), true},
		{"ModifyDBCluster naming it by ARN", cloudTrailEvent(acct, region, acct, region, "ModifyDBCluster",
			m{"dBClusterIdentifier": "aurora-1", "dBClusterParameterGroupName": "arn:aws:rds:eu-west-1:111122223333:cluster-pg:forcessl-aurora-pg"}, nil), true},
		{"ModifyDBCluster with the owner's group", cloudTrailEvent(acct, region, acct, region, "ModifyDBCluster",
			m{"dBClusterIdentifier": "aurora-1", "dBClusterParameterGroupName": "aurora-pg"}, nil), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Parse([]byte(tt.ev))
			if err != nil {
				t.Fatal(err)
			}
			if req.NamesOurGroup != tt.want {
				t.Errorf("NamesOurGroup = %v, want %v (%+v)", req.NamesOurGroup, tt.want, req)
			}
		})
	}
}
