package tripwire

import (
	"slices"
	"testing"

	"github.com/forcessl/forcessl/pkg/policy"
)

// The parameter-group route: forcessl's own group calls pass; a parameter
// outside the engine's own list, any other key, and any reset alert,
// naming parameters and keys, never values.
func TestCheckGroupCalls(t *testing.T) {
	own := policy.OwnParameters()
	for _, p := range []string{"rds.force_ssl", "require_secure_transport", "ssl_min_protocol_version", "tls_version", "rds.tls10"} {
		if !slices.Contains(own, p) {
			t.Fatalf("OwnParameters lacks %s: %v", p, own)
		}
	}
	param := func(name, value string) map[string]any {
		return map[string]any{"parameterName": name, "parameterValue": value, "applyMethod": "pending-reboot"}
	}
	for _, tc := range []struct {
		name   string
		call   string
		params map[string]any
		keys   []string
	}{
		{"forcessl's own switch", "ModifyDBParameterGroup", map[string]any{"dBParameterGroupName": "forcessl-x",
			"parameters": []any{param("rds.force_ssl", "1")}}, nil},
		{"forcessl's own profile", "ModifyDBClusterParameterGroup", map[string]any{"dBClusterParameterGroupName": "forcessl-y",
			"parameters": []any{param("ssl_min_protocol_version", "TLSv1.2"), param("rds.force_ssl", "1")}}, nil},
		{"audit logging off", "ModifyDBParameterGroup", map[string]any{"dBParameterGroupName": "forcessl-x",
			"parameters": []any{param("rds.force_ssl", "1"), param("log_connections", "0")}}, []string{"parameters/log_connections"}},
		{"a reset", "ResetDBParameterGroup", map[string]any{"dBParameterGroupName": "forcessl-x", "resetAllParameters": true},
			[]string{"dBParameterGroupName", "reset", "resetAllParameters"}},
		{"forcessl's own copy", "CopyDBParameterGroup", map[string]any{"sourceDBParameterGroupIdentifier": "default.postgres16",
			"targetDBParameterGroupIdentifier": "forcessl-x", "targetDBParameterGroupDescription": "d", "tags": []any{}}, nil},
	} {
		f, isCheck, found, err := Check(checkPayload(t, tc.call, tc.params), false)
		if err != nil || !isCheck || found != (len(tc.keys) > 0) || !slices.Equal(f.Keys, tc.keys) {
			t.Errorf("%s: found %v keys %v err %v, want %v", tc.name, found, f.Keys, err, tc.keys)
		}
		if f.Resource == "" || f.Resource[:9] != "forcessl-" {
			t.Errorf("%s: resource %q", tc.name, f.Resource)
		}
	}
}
