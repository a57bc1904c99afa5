package dispatch

import (
	"testing"

	"github.com/forcessl/forcessl/pkg/request"
)

// Which requests compare a forcessl-* group with its source: a change to
// one, an attach of one, a sweep; nothing else pays for the reads.
func TestVetGroup(t *testing.T) {
	for _, tt := range []struct {
		name string
		req  request.Request
		want bool
	}{
		{"a change to a forcessl group", request.Request{Target: request.TargetParameterGroup, ParameterGroup: "forcessl-app-pg"}, true},
		{"a change to a forcessl cluster group", request.Request{Target: request.TargetClusterParameterGroup,
			ClusterParameterGroup: "Forcessl-Aurora"}, true},
		{"a change to the owner's group", request.Request{Target: request.TargetParameterGroup, ParameterGroup: "app-pg"}, false},
		{"a change to the owner's cluster group", request.Request{Target: request.TargetClusterParameterGroup, ClusterParameterGroup: "aurora"}, false},
		{"a sweep item", request.Request{Target: request.TargetAccountRegion}, true},
		{"an attach of a forcessl group", request.Request{Target: request.TargetInstance, Instance: "db", NamesOurGroup: true}, true},
		{"an ordinary instance event", request.Request{Target: request.TargetInstance, Instance: "db"}, false},
		{"an ordinary cluster event", request.Request{Target: request.TargetCluster, Cluster: "c"}, false},
	} {
		if got := vetGroup(tt.req); got != tt.want {
			t.Errorf("%s: vetGroup = %v, want %v", tt.name, got, tt.want)
		}
	}
}
