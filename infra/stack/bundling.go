package stack

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"
)

// RemediatorPackage is the Go package the Lambda is built from, relative to
// the module root.
const RemediatorPackage = "./functions/remediator"

// goBuild is CDK local bundling for a Go Lambda: it cross-compiles the
// package with the host Go toolchain, so neither Docker nor network (beyond
// the module cache) is needed.
type goBuild struct {
	moduleRoot string // directory holding go.mod
	pkg        string // package to build, relative to moduleRoot
}

// TryBundle implements awscdk.ILocalBundling. It never returns false: a
// false would make CDK fall back to Docker, which these machines lack, and
// bury the real compiler error under a Docker one.
func (g *goBuild) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	out := filepath.Join(*outputDir, "bootstrap")
	// One build per package per process: every stack an app (or a test
	// binary) synthesizes bundles the same reproducible binary, so later
	// bundles copy the first one's output instead of linking it again
	// (under load a cross-compiled link takes minutes; the infra tests
	// synthesize a dozen stacks).
	built.Lock()
	defer built.Unlock()
	if first, ok := built.paths[g.moduleRoot+"|"+g.pkg]; ok {
		if err := copyFile(first, out); err != nil {
			panic(fmt.Errorf("bundling %s: %w", g.pkg, err))
		}
		return jsii.Bool(true)
	}
	cmd := exec.Command("go", "build",
		"-tags", "lambda.norpc",
		"-trimpath",
		"-buildvcs=false", // VCS stamps would change the binary (and the asset hash) per commit
		"-ldflags=-s -w",
		"-o", out,
		g.pkg,
	)
	cmd.Dir = g.moduleRoot
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	cmd.Stdout = os.Stderr // stdout of a CDK app is not for humans
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		panic(fmt.Errorf("bundling %s: go build: %w", g.pkg, err))
	}
	// Kept apart from outputDir, which CDK renames once it has hashed it.
	keep, err := os.CreateTemp("", "forcessl-bootstrap-")
	if err == nil {
		keep.Close()
		if copyFile(out, keep.Name()) == nil {
			built.paths[g.moduleRoot+"|"+g.pkg] = keep.Name()
		}
	}
	return jsii.Bool(true)
}

// built are the binaries bundled in this process, by module root and
// package, each in a file of its own.
var built = struct {
	sync.Mutex
	paths map[string]string
}{paths: map[string]string{}}

// copyFile copies an executable.
func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}

// RemediatorCode is the Lambda code asset: the remediator built for
// linux/arm64 as `bootstrap`. The asset hash is the hash of the binary
// (AssetHashType OUTPUT); the build is reproducible (-trimpath, no VCS
// stamp), so an unchanged engine never causes a function update.
func RemediatorCode(moduleRoot string) awslambda.Code {
	return awslambda.Code_FromAsset(jsii.String(moduleRoot), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling: &awscdk.BundlingOptions{
			// Required by the type, never pulled: local bundling always succeeds or panics.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("scratch")),
			Local: &goBuild{moduleRoot: moduleRoot, pkg: RemediatorPackage},
		},
	})
}

// FindModuleRoot walks up from dir to the directory that holds go.mod.
func FindModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above " + dir)
		}
		dir = parent
	}
}
