package kubetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// ChaosMeshNamespace is where the Chaos Mesh controller "runs" (its
// NAMESPACE).
const ChaosMeshNamespace = "chaos-mesh"

// chaosMeshEnv is the controller's configuration, as the upstream chart
// (helm/chaos-mesh, templates/controller-manager-deployment.yaml) sets it
// with our values (argocd/values/chaos-mesh.yaml): cluster scoped, only
// namespaces annotated chaos-mesh.org/inject=enabled, security mode on (the
// chart's default: a user may create a chaos only where RBAC lets them).
// Leader election is off (one controller) and the chaosd client is off (no
// physical machines here).
func chaosMeshEnv(kubeconfig, certsDir string, webhookPort, metricsPort int) []string {
	return []string{
		"KUBECONFIG=" + kubeconfig,
		"NAMESPACE=" + ChaosMeshNamespace, "TEMPLATE_NAMESPACE=" + ChaosMeshNamespace,
		"ALLOW_HOST_NETWORK_TESTING=false", "TARGET_NAMESPACE=" + ChaosMeshNamespace,
		"QPS=30", "BURST=50", "CLUSTER_SCOPED=true", "TZ=UTC",
		"CHAOS_DAEMON_SERVICE_PORT=31767", "BPFKI_PORT=50051",
		"ENABLED_CONTROLLERS=*", "ENABLED_WEBHOOKS=*",
		"TEMPLATE_LABELS=app.kubernetes.io/component:template", "CONFIGMAP_LABELS=app.kubernetes.io/component:webhook",
		"ENABLE_FILTER_NAMESPACE=true",
		"CHAOS_DNS_SERVICE_NAME=chaos-mesh-dns-server", "CHAOS_DNS_SERVICE_PORT=9288",
		"SECURITY_MODE=true", "CHAOSD_SECURITY_MODE=false",
		"POD_FAILURE_PAUSE_IMAGE=" + PauseImage,
		"ENABLE_LEADER_ELECTION=false",
		"CERTS_DIR=" + certsDir,
		"WEBHOOK_HOST=127.0.0.1", "WEBHOOK_PORT=" + strconv.Itoa(webhookPort),
		"METRICS_HOST=127.0.0.1", "METRICS_PORT=" + strconv.Itoa(metricsPort),
	}
}

func (cp *ControlPlane) startChaosMesh(ctx context.Context, p controlPlanePorts) error {
	if err := cp.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ChaosMeshNamespace}}); err != nil {
		return err
	}
	// Chaos Mesh's own client: cluster admin here (the chart gives its
	// service account a ClusterRole of nearly every verb on pods and chaos
	// objects; that role is not what is tested).
	kc, err := cp.kubeconfig("chaos-controller-manager", "chaos-controller-manager", "system:masters")
	if err != nil {
		return err
	}
	serving, err := cp.pki.issue("chaos-mesh-webhook", "chaos-mesh-controller-manager", nil, "127.0.0.1")
	if err != nil {
		return err
	}
	certs := cp.path("chaos-mesh-certs")
	if err := os.MkdirAll(certs, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(certs, "tls.crt"), serving.CertPEM, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(certs, "tls.key"), serving.KeyPEM, 0o600); err != nil {
		return err
	}
	cp.chaosMesh = chaosMeshProcess{env: chaosMeshEnv(kc, certs, p.webhook, p.metrics), webhook: p.webhook, metrics: p.metrics}
	if err := cp.StartChaosMesh(ctx); err != nil {
		return err
	}
	if err := cp.registerWebhooks(ctx, p.webhook); err != nil {
		return err
	}
	// The webhooks answer: a container-kill without container names is
	// refused by Chaos Mesh's validation (the CRD's schema allows it).
	probe := &v1alpha1.PodChaos{
		ObjectMeta: metav1.ObjectMeta{Name: "webhook-probe", Namespace: ChaosMeshNamespace},
		Spec: v1alpha1.PodChaosSpec{Action: v1alpha1.ContainerKillAction, ContainerSelector: v1alpha1.ContainerSelector{
			PodSelector: v1alpha1.PodSelector{Mode: v1alpha1.OneMode, Selector: v1alpha1.PodSelectorSpec{
				GenericSelectorSpec: v1alpha1.GenericSelectorSpec{Namespaces: []string{ChaosMeshNamespace}}}}}},
	}
	return await(ctx, cp.procs["chaos-controller-manager"], time.Minute, func(ctx context.Context) error {
		err := cp.Client.Create(ctx, probe.DeepCopy(), client.DryRunAll)
		if err == nil {
			return errors.New("a container-kill without container names was admitted: the validating webhook is not called")
		}
		if !strings.Contains(err.Error(), "the name of container is required") {
			return err
		}
		return nil
	})
}

// chaosMeshProcess is how to start the controller again after
// StopChaosMesh.
type chaosMeshProcess struct {
	env              []string
	webhook, metrics int
}

// StartChaosMesh starts the Chaos Mesh controller (again, after
// StopChaosMesh) and waits until its webhook server and metrics answer.
func (cp *ControlPlane) StartChaosMesh(ctx context.Context) error {
	if pr := cp.procs["chaos-controller-manager"]; pr != nil {
		if _, ended := pr.exited(); !ended {
			return errors.New("chaos-controller-manager is running")
		}
		cp.order = removeName(cp.order, "chaos-controller-manager")
	}
	pr, err := cp.run("chaos-controller-manager", nil, cp.chaosMesh.env...)
	if err != nil {
		return err
	}
	webhook := fmt.Sprintf("https://127.0.0.1:%d/", cp.chaosMesh.webhook)
	metrics := fmt.Sprintf("http://127.0.0.1:%d/metrics", cp.chaosMesh.metrics)
	return await(ctx, pr, 2*time.Minute, func(ctx context.Context) error {
		if err := httpOK(ctx, http.DefaultClient, metrics); err != nil {
			return err
		}
		// Any answer of the TLS server (404 at /) will do.
		_, err := httpStatus(ctx, insecure, webhook)
		return err
	})
}

// StopChaosMesh stops the Chaos Mesh controller for good (SIGTERM stops its
// manager, a second signal the process): a cluster whose Chaos Mesh is
// down. Its webhooks stay registered, as they would.
func (cp *ControlPlane) StopChaosMesh() {
	if pr := cp.procs["chaos-controller-manager"]; pr != nil {
		pr.stop(time.Second)
	}
}

func removeName(names []string, name string) []string {
	out := names[:0]
	for _, n := range names {
		if n != name {
			out = append(out, n)
		}
	}
	return out
}

// chartValues is the part of the upstream chart's values.yaml that says
// which admission webhooks the chart registers.
type chartValues struct {
	Webhook struct {
		CRDS           []string `json:"CRDS"`
		FailurePolicy  string   `json:"FailurePolicy"`
		TimeoutSeconds int32    `json:"timeoutSeconds"`
	} `json:"webhook"`
}

// registerWebhooks registers Chaos Mesh's admission webhooks as the
// upstream chart does (templates/mutating-admission-webhooks.yaml and
// validating-admission-webhooks.yaml, one webhook per kind of its values'
// webhook.CRDS, and the authorization webhook /validate-auth), with a URL
// on the loopback address instead of the chart's Service.
func (cp *ControlPlane) registerWebhooks(ctx context.Context, port int) error {
	b, err := os.ReadFile(bin("chaos-mesh-values.yaml"))
	if err != nil {
		return err
	}
	var v chartValues
	if err := yaml.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("chaos-mesh-values.yaml: %w", err)
	}
	if len(v.Webhook.CRDS) == 0 {
		return errors.New("chaos-mesh-values.yaml: no webhook.CRDS")
	}
	policy := admissionregistrationv1.FailurePolicyType(v.Webhook.FailurePolicy)
	none := admissionregistrationv1.SideEffectClassNone
	hook := func(path string, resources ...string) (admissionregistrationv1.WebhookClientConfig, []admissionregistrationv1.RuleWithOperations) {
		return admissionregistrationv1.WebhookClientConfig{URL: ptr.To(fmt.Sprintf("https://127.0.0.1:%d%s", port, path)), CABundle: cp.pki.pem},
			[]admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{"chaos-mesh.org"}, APIVersions: []string{"v1alpha1"}, Resources: resources},
			}}
	}
	resource := func(crd string) string {
		switch crd {
		case "schedule", "workflow", "physicalmachine", "statuscheck":
			return crd + "s"
		}
		return crd
	}
	mutating := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "chaos-mesh-mutation"}}
	validating := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "chaos-mesh-validation"}}
	for _, crd := range v.Webhook.CRDS {
		cc, rules := hook("/mutate-chaos-mesh-org-v1alpha1-"+crd, resource(crd))
		mutating.Webhooks = append(mutating.Webhooks, admissionregistrationv1.MutatingWebhook{
			Name: "m" + crd + ".kb.io", ClientConfig: cc, Rules: rules, FailurePolicy: &policy, SideEffects: &none,
			TimeoutSeconds: &v.Webhook.TimeoutSeconds, AdmissionReviewVersions: []string{"v1", "v1beta1"},
		})
		if crd == "podiochaos" || crd == "podhttpchaos" {
			continue
		}
		cc, rules = hook("/validate-chaos-mesh-org-v1alpha1-"+crd, resource(crd))
		validating.Webhooks = append(validating.Webhooks, admissionregistrationv1.ValidatingWebhook{
			Name: "v" + crd + ".kb.io", ClientConfig: cc, Rules: rules, FailurePolicy: &policy, SideEffects: &none,
			TimeoutSeconds: &v.Webhook.TimeoutSeconds, AdmissionReviewVersions: []string{"v1", "v1beta1"},
		})
	}
	cc, rules := hook("/validate-auth", "*")
	auth := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "chaos-mesh-validation-auth"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name: "vauth.kb.io", ClientConfig: cc, Rules: rules, FailurePolicy: &policy, SideEffects: &none,
			TimeoutSeconds: &v.Webhook.TimeoutSeconds, AdmissionReviewVersions: []string{"v1", "v1beta1"},
		}},
	}
	for _, o := range []client.Object{mutating, validating, auth} {
		if err := cp.Client.Create(ctx, o); err != nil {
			return fmt.Errorf("%s: %w", o.GetName(), err)
		}
	}
	return nil
}
