package report

// Sample is the package tests' sample report, for the external tests
// (the OCSF rendering, pkg/ocsf, is tested here against the schema table
// in testdata/ocsf).
var Sample = sample
