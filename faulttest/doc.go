// Package faulttest holds postlab's fault tests: a PostgreSQL cluster of their own killed and
// restarted under a write load, a connection to the database blackholed, the postlab process
// killed in the middle of large writes or stopped with requests in flight. They start what
// they break (a throwaway cluster in a temporary folder, on a private port; the postlab binary
// built from this repository) and never touch a shared database server.
//
// By default (as CI runs them) each fault happens once, in about a minute and a half in all;
// POSTLAB_FAULT_LONG=1 repeats them: three crashes, three blackholes, five kills at spread moments.
package faulttest
