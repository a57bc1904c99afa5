// Command infra is the forcessl CDK app: `npx cdk synth|deploy` from the
// repository root runs it (see cdk.json). It reads the context, builds the
// stack (package stack holds the constructs) and synthesizes.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/infra/stack"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	settings, err := stack.SettingsFromContext(app.Node())
	if err != nil {
		fmt.Fprintf(os.Stderr, "forcessl: invalid context:\n%v\n", err)
		jsii.Close()
		os.Exit(1)
	}
	root, err := stack.FindModuleRoot(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "forcessl:", err)
		jsii.Close()
		os.Exit(1)
	}
	// CDK_DEFAULT_REGION: the region the CLI deploys the environment-agnostic
	// stack to (its credentials'), which the forwarder stacks send to.
	stack.NewForceSSL(app, "ForceSSL", &stack.ForceSSLProps{Settings: settings, ModuleRoot: root,
		DeployRegion: os.Getenv("CDK_DEFAULT_REGION")})
	app.Synth(nil)
	// Organization mode: the SCP that protects the member resources, for
	// this deployment's names, beside the templates.
	if _, err := stack.WriteSCP(*app.Outdir(), settings); err != nil {
		fmt.Fprintln(os.Stderr, "forcessl:", err)
		jsii.Close()
		os.Exit(1)
	}
}
