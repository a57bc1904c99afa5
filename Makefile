# forcessl: one command for each job. See README.md.
SHELL := /bin/bash
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
GOBIN := $(shell go env GOPATH)/bin
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: demo test tools test-infra synth build fuzz simulate ci

demo: ## full remediation against moto, no AWS account needed
	go run ./internal/demo

test: tools ## engine tests: unit, moto integration, Lambda emulator end to end
	go test ./pkg/... ./functions/... ./internal/...

tools: ## test tools that are Go modules: the Lambda Runtime Interface Emulator
	@test -x $(GOBIN)/aws-lambda-rie || go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

test-infra: ## CDK app: assertions, cdk synth with cdk-nag, cfn-lint
	.ci/cdk.sh

synth:
	npm ci --no-audit --no-fund && npx cdk synth

build: ## the Lambda binary as CDK bundles it
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w' -o bin/bootstrap ./functions/remediator

fuzz: ## a longer run of the event parser and naming fuzzers
	go test ./pkg/rdsevent -run '^$$' -fuzz FuzzParse -fuzztime 60s
	go test ./pkg/paramgroup -run '^$$' -fuzz FuzzCompliantName -fuzztime 30s

SEEDS ?= 10000
FROM ?= 1
simulate: ## deterministic simulation of the protocol: SEEDS seeds from FROM (non-zero exit on a violation); docs/simulation.md
	go test ./internal/sim -run TestSimulate -count=1 -timeout 0 -seeds $(SEEDS) -from $(FROM) -v

ci:
	bash .ci/run
