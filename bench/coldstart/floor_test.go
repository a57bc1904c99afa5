package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The SDK floor must link every SDK service package the remediator links,
// or the floor it reports is too low.
func TestFloorLinksTheRemediatorsSDK(t *testing.T) {
	services := func(pkg string) []string {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		var s []string
		for _, p := range strings.Fields(string(out)) {
			if rest, ok := strings.CutPrefix(p, "github.com/aws/aws-sdk-go-v2/service/"); ok && !strings.Contains(rest, "/") {
				s = append(s, rest)
			}
		}
		return s
	}
	floor := services("github.com/forcessl/forcessl/bench/coldstart/floor")
	for _, s := range services("github.com/forcessl/forcessl/functions/remediator") {
		if !slices.Contains(floor, s) {
			t.Errorf("the remediator links service/%s and the floor does not", s)
		}
	}
}
