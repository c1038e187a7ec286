// Package alertmanager tests monitoring/alertmanager/alertmanager.yml in a
// real Alertmanager (Debian's prometheus-alertmanager 0.25, the version of
// amtool): alerts are posted to its API and the test reads back which ones
// its inhibition rules suppress. amtool checks the syntax and the routes
// (scripts/monitoring-check.sh); only a running Alertmanager evaluates
// inhibitions. The package has no code, only that test.
package alertmanager
