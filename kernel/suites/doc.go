// Package suites holds the in-kernel test suites (ktest): importing it
// registers them. One file per suite.
package suites
