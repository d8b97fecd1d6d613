//go:build tools

// Package tools pins versitygw (the local cluster's S3 server, posix backend) so `go mod tidy`
// keeps its dependencies.
package tools

import _ "github.com/versity/versitygw/cmd/versitygw"
