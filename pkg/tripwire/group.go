package tripwire

import (
	"slices"

	"github.com/forcessl/forcessl/pkg/policy"
)

// GroupCalls are the parameter group calls of forcessl's roles the check
// rules also route to the intake: the roles may create, copy and modify
// forcessl-* groups, so a stolen role could make one with the TLS switch
// on but, say, ssl_min_protocol_version=TLSv1, and attach it with keys
// forcessl sends.
var GroupCalls = []string{
	"CreateDBParameterGroup", "CopyDBParameterGroup", "ModifyDBParameterGroup", "ResetDBParameterGroup",
	"CreateDBClusterParameterGroup", "CopyDBClusterParameterGroup", "ModifyDBClusterParameterGroup", "ResetDBClusterParameterGroup",
}

// groupSent are the request keys of forcessl's own group calls (pkg/apply):
// a reset has none, forcessl never resets a group.
var groupSent = map[string][]string{
	"CreateDBParameterGroup":        {"dBParameterGroupName", "dBParameterGroupFamily", "description", "tags"},
	"CopyDBParameterGroup":          {"sourceDBParameterGroupIdentifier", "targetDBParameterGroupIdentifier", "targetDBParameterGroupDescription", "tags"},
	"ModifyDBParameterGroup":        {"dBParameterGroupName", "parameters"},
	"CreateDBClusterParameterGroup": {"dBClusterParameterGroupName", "dBParameterGroupFamily", "description", "tags"},
	"CopyDBClusterParameterGroup": {"sourceDBClusterParameterGroupIdentifier", "targetDBClusterParameterGroupIdentifier",
		"targetDBClusterParameterGroupDescription", "tags"},
	"ModifyDBClusterParameterGroup": {"dBClusterParameterGroupName", "parameters"},
}

// groupUnexpected are what a group call carries that forcessl never sends:
// request keys outside groupSent (every key of a reset, and "reset"
// itself), and for a modify each parameter outside policy.OwnParameters,
// as "parameters/<name>" (names, never values).
func groupUnexpected(call string, params map[string]any) []string {
	var out []string
	if slices.Contains([]string{"ResetDBParameterGroup", "ResetDBClusterParameterGroup"}, call) {
		out = append(out, "reset")
	}
	sent := groupSent[call]
	for k := range params {
		if !slices.Contains(sent, k) {
			out = append(out, k)
		}
	}
	if list, ok := params["parameters"].([]any); ok {
		own := policy.OwnParameters()
		for _, p := range list {
			m, _ := p.(map[string]any)
			name, _ := m["parameterName"].(string)
			if !slices.Contains(own, name) {
				out = append(out, "parameters/"+name)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// groupResource names the group a call is about.
func groupResource(params map[string]any) string {
	for _, k := range []string{"dBParameterGroupName", "dBClusterParameterGroupName", "targetDBParameterGroupIdentifier",
		"targetDBClusterParameterGroupIdentifier"} {
		if s, ok := params[k].(string); ok {
			return s
		}
	}
	return ""
}
