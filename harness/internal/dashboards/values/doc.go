// Package values checks the values files of the upstream charts in
// monitoring/values against each other and against the rest of the
// repository: names of Secrets, labels, data source uids, service accounts,
// retention per environment. The charts' schemas cannot be fetched offline,
// so these cross-references are what can be checked beside yamllint. The
// package has no code, only that test.
package values
