package validate

import (
	"strings"
	"testing"
)

// Bad values are rejected with a message naming the field: by
// values.schema.json (types, enums, unknown keys) or by the charts' own
// cross-field checks (fail in _helpers.tpl).
func TestValuesRejected(t *testing.T) {
	tests := map[string]struct {
		chart, env, values, want string
	}{
		"an unknown top-level key": {
			"petclinic", "prod", "replicas: 3\n", "additional properties 'replicas' not allowed"},
		"an unknown nested key": {
			"petclinic", "prod", "networkPolicy:\n  allowAll: true\n", "at '/networkPolicy': additional properties 'allowAll' not allowed"},
		"zero replicas": {
			"petclinic", "prod", "replicaCount: 0\n", "at '/replicaCount': minimum"},
		"a container without limits": {
			"petclinic", "prod", "resources:\n  limits: null\n", "at '/resources': missing property 'limits'"},
		"a memory limit that is not a quantity": {
			"petclinic", "prod", "resources:\n  limits:\n    memory: lots\n", "at '/resources/limits/memory'"},
		"an unknown log level": {
			"petclinic", "prod", "config:\n  logLevel: verbose\n", "at '/config/logLevel'"},
		"a drain delay as a string": {
			"petclinic", "prod", "config:\n  drainDelaySeconds: 5s\n", "at '/config/drainDelaySeconds': got string, want integer"},
		"a database other than mysql or sqlite": {
			"petclinic", "prod", "database:\n  kind: postgres\n", "at '/database/kind'"},
		"an ALB scheme the controller does not know": {
			"petclinic", "prod", "ingress:\n  alb:\n    scheme: public\n", "at '/ingress/alb/scheme'"},
		"a certificate that is not an ACM ARN": {
			"petclinic", "prod", "ingress:\n  alb:\n    certificateArn: my-cert\n", "at '/ingress/alb/certificateArn'"},
		"a CIDR that is not one": {
			"petclinic", "prod", "networkPolicy:\n  databaseCidrs: [10.30.8.0]\n", "at '/networkPolicy/databaseCidrs/0'"},
		"an image digest that is not sha256": {
			"petclinic", "prod", "image:\n  digest: latest\n", "at '/image/digest'"},
		"a budget that blocks every drain": {
			"petclinic", "prod", "pdb:\n  minAvailable: 3\n  maxUnavailable: null\n", "pdb.minAvailable: must be below replicaCount"},
		"a budget with a maxUnavailable that is no number": {
			"petclinic", "prod", "pdb:\n  maxUnavailable: one\n", "at '/pdb/maxUnavailable'"},
		"a replica count other than the HPA's minimum": {
			"petclinic", "prod", "replicaCount: 4\n", "replicaCount: must equal autoscaling.minReplicas"},
		"minDomains with a soft zone spread": {
			"petclinic", "prod", "topologySpread:\n  zoneWhenUnsatisfiable: ScheduleAnyway\n", "topologySpread.minZones: needs"},
		"MySQL without a host": {
			"petclinic", "prod", "database:\n  host: \"\"\n", "database.host: required"},
		"MySQL without its Secrets Manager entry": {
			"petclinic", "prod", "externalSecret:\n  mysql:\n    key: \"\"\n", "externalSecret.mysql.key: required"},
		"credentials without External Secrets": {
			"petclinic", "staging", "externalSecret:\n  enabled: false\n", "externalSecret.enabled: required"},
		"MySQL behind a NetworkPolicy without its subnets": {
			"petclinic", "prod", "networkPolicy:\n  databaseCidrs: []\n", "networkPolicy.databaseCidrs: required"},
		"an ALB that drains longer than PetClinic serves": {
			"petclinic", "prod", "ingress:\n  alb:\n    deregistrationDelaySeconds: 60\n", "ingress.alb.deregistrationDelaySeconds"},
		"a suite that does not exist": {
			"gameday", "staging", "schedules:\n  - {suite: nightly, schedule: \"0 1 * * *\"}\n", `suite "nightly" is not in experiments/suites/`},
		"a schedule that is not cron": {
			"gameday", "staging", "schedules:\n  - {suite: preprod-gate, schedule: \"every day\"}\n", "at '/schedules/0/schedule'"},
		"a reports repository over ssh": {
			"gameday", "staging", "publish:\n  repo: git@github.com:gamedayhq/gameday-reports.git\n", "at '/publish/repo'"},
		"a gameday key the chart does not have": {
			"gameday", "prod", "suites: [weekly-gameday]\n", "additional properties 'suites' not allowed"},
		"git credentials without publishing": {
			"gameday", "prod", "publish:\n  enabled: false\n", "externalSecret.enabled: needs publish.enabled"},
		"rules of the chart's own (the harness's are the only ones)": {
			"gameday", "dev", "rbac:\n  fallbackRules:\n    - {apiGroups: [\"\"], resources: [pods], verbs: [get]}\n", "additional properties 'fallbackRules' not allowed"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := render(t, tc.chart, tc.env, tc.values)
			if err == nil {
				t.Fatalf("%s %s with %q rendered; want an error containing %q", tc.chart, tc.env, tc.values, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error:\n%v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// The same bad values also fail helm lint --strict (what `make check` runs).
func TestLintRejectsBadValues(t *testing.T) {
	r := chartReleases(t)[0]
	if _, err := Lint(r); err != nil {
		t.Fatalf("%s %s: %v", r.Chart, r.Values[0], err)
	}
	f := t.TempDir() + "/bad.yaml"
	if err := writeFile(f, "image:\n  pullPolicy: Sometimes\n"); err != nil {
		t.Fatal(err)
	}
	r.Values = append(r.Values, f)
	_, err := Lint(r)
	if err == nil || !strings.Contains(err.Error(), "at '/image/pullPolicy'") {
		t.Errorf("helm lint --strict with pullPolicy Sometimes: got %v, want an error naming image.pullPolicy", err)
	}
}
