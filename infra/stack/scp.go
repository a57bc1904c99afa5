package stack

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/forcessl/forcessl/pkg/scp"
)

// SCPFile is the service control policy for the deployment's names, written
// beside the templates in the cloud assembly (cdk.out/forcessl-protect.scp.json)
// by a synth in organization mode.
const SCPFile = "forcessl-protect.scp.json"

// SCPNames are the names the SCP protects for s: its member role name (the
// rules, forwarding roles and StackSet have fixed names). The partition is
// aws: the stack is environment-agnostic, so its partition is only known at
// deploy time; `forcessl scp --partition` renders it for another.
func SCPNames(s Settings) scp.Names {
	return scp.Names{Partition: "aws", MemberRoleName: s.Function.MemberRoleName}
}

// WriteSCP writes the SCP for s into dir (organization mode only; nothing
// otherwise) and returns its path.
func WriteSCP(dir string, s Settings) (string, error) {
	if !s.Org() {
		return "", nil
	}
	path := filepath.Join(dir, SCPFile)
	if err := os.WriteFile(path, scp.Render(SCPNames(s)).JSON(), 0o644); err != nil {
		return "", fmt.Errorf("write the SCP: %w", err)
	}
	return path, nil
}
