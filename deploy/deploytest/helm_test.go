package deploytest

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

const testMasterKey = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="

func chartDir(t *testing.T) string { return filepath.Join(deployDir(t), "helm", "sesame") }

// baseValues are what an operator must give with the chart's own Secret.
func baseValues() map[string]any {
	return map[string]any{
		"url":         "https://idp.example.com",
		"masterKey":   testMasterKey,
		"databaseURL": "postgres://sesame:pw@db.example.com:5432/sesame?sslmode=verify-full",
	}
}

// rendered is one `helm template`: the objects, decoded strictly into their
// Kubernetes types (an unknown or misspelt field fails), by kind and name.
type rendered struct {
	objs  map[string]runtime.Object // "Kind/name"
	other map[string]map[string]any // kinds outside client-go's scheme (ServiceMonitor)
	hooks map[string][]string       // "Kind/name" -> hook events
	notes string
}

// strict decodes with unknown and duplicate fields as errors.
var strict = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

// template renders the chart as `helm template release-name deploy/helm/sesame
// --namespace idp --kube-version 1.31.0` would, with vals over values.yaml.
func template(t *testing.T, vals map[string]any) (*rendered, error) {
	t.Helper()
	ch, err := loader.Load(chartDir(t))
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(action.NewConfiguration())
	install.DryRunStrategy = action.DryRunClient
	install.ReleaseName = "sesame"
	install.Namespace = "idp"
	install.Replace = true
	kv, err := common.ParseKubeVersion("1.31.0")
	if err != nil {
		t.Fatal(err)
	}
	install.KubeVersion = kv
	r, err := install.Run(ch, vals)
	if err != nil {
		return nil, err
	}
	rel := r.(*release.Release)
	out := &rendered{objs: map[string]runtime.Object{}, other: map[string]map[string]any{}, hooks: map[string][]string{}, notes: rel.Info.Notes}
	add := func(manifest string, events []string) {
		for _, doc := range splitDocs(manifest) {
			var meta struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Fatalf("not YAML: %v\n%s", err, doc)
			}
			key := meta.Kind + "/" + meta.Metadata.Name
			if _, ok := out.objs[key]; ok {
				t.Fatalf("%s rendered twice", key)
			}
			if events != nil {
				out.hooks[key] = events
			}
			if meta.Kind == "ServiceMonitor" {
				var m map[string]any
				yaml.Unmarshal([]byte(doc), &m)
				out.other[key] = m
				continue
			}
			obj, _, err := strict.Decode([]byte(doc), nil, nil)
			if err != nil {
				t.Fatalf("%s does not decode strictly: %v\n%s", key, err, doc)
			}
			out.objs[key] = obj
		}
	}
	add(rel.Manifest, nil)
	for _, h := range rel.Hooks {
		var ev []string
		for _, e := range h.Events {
			ev = append(ev, string(e))
		}
		add(h.Manifest, ev)
	}
	return out, nil
}

// splitDocs splits a multi-document YAML stream, leaving out empty ones.
func splitDocs(s string) []string {
	var docs []string
	for _, d := range strings.Split("\n"+s, "\n---") {
		var content []string
		for _, l := range strings.Split(d, "\n") {
			if strings.TrimSpace(l) != "" && !strings.HasPrefix(strings.TrimSpace(l), "#") {
				content = append(content, l)
			}
		}
		if len(content) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

func get[T runtime.Object](t *testing.T, r *rendered, key string) T {
	t.Helper()
	o, ok := r.objs[key]
	if !ok {
		var keys []string
		for k := range r.objs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.Fatalf("no %s among %v", key, keys)
	}
	v, ok := o.(T)
	if !ok {
		t.Fatalf("%s is a %T", key, o)
	}
	return v
}

func TestHelmLint(t *testing.T) {
	for name, vals := range map[string]map[string]any{
		"own secret":      baseValues(),
		"existing secret": {"url": "https://idp.example.com", "existingSecret": "sesame-creds", "migrations": map[string]any{"job": map[string]any{"enabled": true}}, "ingress": map[string]any{"enabled": true}, "metrics": map[string]any{"enabled": true, "serviceMonitor": map[string]any{"enabled": true}}},
	} {
		lint := action.NewLint()
		lint.Strict = true
		lint.Namespace = "idp"
		res := lint.Run([]string{chartDir(t)}, vals)
		if len(res.Errors) > 0 || res.TotalChartsLinted != 1 {
			t.Errorf("%s: helm lint --strict: %v", name, errors.Join(res.Errors...))
		}
		for _, m := range res.Messages {
			if m.Severity > 1 { // above INFO
				t.Errorf("%s: %s", name, m.Error())
			}
		}
	}
}

func TestHelmTemplateDefaults(t *testing.T) {
	r, err := template(t, baseValues())
	if err != nil {
		t.Fatal(err)
	}
	dep := get[*appsv1.Deployment](t, r, "Deployment/sesame")
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 3 {
		t.Errorf("replicas = %v, want 3", dep.Spec.Replicas)
	}
	if ru := dep.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable.IntValue() != 0 {
		t.Errorf("rolling update = %+v, want maxUnavailable 0", ru)
	}
	pod := dep.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("containers = %d", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Image != "ghcr.io/sesame-idp/sesame:dev" || !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("image %q, args %v", c.Image, c.Args)
	}
	checkProbe := func(name string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe = %+v, want GET %s on port http", name, p, path)
		}
	}
	checkProbe("liveness", c.LivenessProbe, "/healthz")
	checkProbe("readiness", c.ReadinessProbe, "/readyz")
	checkProbe("startup", c.StartupProbe, "/healthz")
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 8080 {
		t.Errorf("ports = %+v", c.Ports)
	}

	// The image's uid, non-root, read-only root, nothing to escalate with.
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != 65532 || psc.RunAsGroup == nil || *psc.RunAsGroup != 65532 {
		t.Errorf("pod securityContext = %+v", psc)
	}
	if psc != nil && psc.FSGroup != nil {
		t.Errorf("fsGroup %d set: nothing needs it", *psc.FSGroup)
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container securityContext = %+v", sc)
	}
	// The one writable place, /tmp, is an emptyDir.
	if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/tmp" || len(pod.Volumes) != 1 || pod.Volumes[0].EmptyDir == nil {
		t.Errorf("mounts %+v, volumes %+v", c.VolumeMounts, pod.Volumes)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the service account token is mounted; Sesame never calls the Kubernetes API")
	}

	// Settings and secrets.
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if env["SESAME_URL"].Value != "https://idp.example.com" || env["SESAME_ADDR"].Value != ":8080" || env["SESAME_SHUTDOWN_GRACE"].Value != "15s" {
		t.Errorf("env = %+v", c.Env)
	}
	sec := get[*corev1.Secret](t, r, "Secret/sesame")
	for name, key := range map[string]string{"SESAME_DATABASE_URL": "database-url", "SESAME_MASTER_KEY": "master-key"} {
		ref := env[name].ValueFrom
		if env[name].Value != "" || ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "sesame" || ref.SecretKeyRef.Key != key {
			t.Errorf("%s = %+v, want from Secret sesame key %s", name, env[name], key)
		}
	}
	if string(sec.Data["master-key"]) != testMasterKey || !strings.HasPrefix(string(sec.Data["database-url"]), "postgres://") {
		t.Errorf("secret data keys: %v", slices.Collect(func(yield func(string) bool) {
			for k := range sec.Data {
				if !yield(k) {
					return
				}
			}
		}))
	}
	if dep.Spec.Template.Annotations["checksum/secret"] == "" {
		t.Error("no checksum/secret annotation: a new key would not roll the pods")
	}
	if _, ok := env["SESAME_METRICS_ADDR"]; ok {
		t.Error("metrics on by default")
	}

	// Kubernetes waits for the preStop sleep, the shutdown grace and the
	// System Log flush (10 s) before it kills.
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds != 5 {
		t.Errorf("preStop = %+v, want a 5 s sleep", c.Lifecycle)
	}
	if g := pod.TerminationGracePeriodSeconds; g == nil || *g < 5+15+10 {
		t.Errorf("terminationGracePeriodSeconds = %v, want at least preStop 5 + grace 15 + flush 10", g)
	}

	svc := get[*corev1.Service](t, r, "Service/sesame")
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 80 || svc.Spec.Ports[0].TargetPort.String() != "http" || svc.Spec.Selector["app.kubernetes.io/instance"] != "sesame" {
		t.Errorf("service = %+v", svc.Spec)
	}
	for k, v := range svc.Spec.Selector {
		if dep.Spec.Template.Labels[k] != v {
			t.Errorf("the Service selects %s=%s, the pods have %q", k, v, dep.Spec.Template.Labels[k])
		}
	}
	pdb := get[*policyv1.PodDisruptionBudget](t, r, "PodDisruptionBudget/sesame")
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 || pdb.Spec.Selector.MatchLabels["app.kubernetes.io/name"] != "sesame" {
		t.Errorf("pdb = %+v", pdb.Spec)
	}
	for key := range r.objs {
		if strings.HasPrefix(key, "Ingress/") || strings.HasPrefix(key, "Job/") {
			t.Errorf("%s rendered by default", key)
		}
	}
	if len(r.other) != 0 {
		t.Errorf("ServiceMonitor rendered by default")
	}
	if !strings.Contains(r.notes, "https://idp.example.com") {
		t.Errorf("notes = %q", r.notes)
	}
}

func TestHelmTemplateOptions(t *testing.T) {
	vals := map[string]any{
		"url":                  "https://idp.example.com",
		"existingSecret":       "sesame-creds",
		"secretKeys":           map[string]any{"masterKey": "mk", "databaseURL": "db"},
		"replicaCount":         5,
		"shutdownGraceSeconds": 40,
		"trustedProxies":       []any{"10.0.0.0/8", "192.168.0.0/16"},
		"logRetention":         "90d",
		"migrations":           map[string]any{"job": map[string]any{"enabled": true}},
		"ingress": map[string]any{"enabled": true, "className": "nginx",
			"tls": []any{map[string]any{"secretName": "idp-tls", "hosts": []any{"idp.example.com"}}}},
		"metrics": map[string]any{"enabled": true, "serviceMonitor": map[string]any{"enabled": true, "labels": map[string]any{"release": "prom"}}},
	}
	r, err := template(t, vals)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.objs["Secret/sesame"]; ok {
		t.Error("a Secret rendered although existingSecret is set")
	}
	dep := get[*appsv1.Deployment](t, r, "Deployment/sesame")
	if *dep.Spec.Replicas != 5 {
		t.Errorf("replicas = %d", *dep.Spec.Replicas)
	}
	c := dep.Spec.Template.Spec.Containers[0]
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if ref := env["SESAME_MASTER_KEY"].ValueFrom.SecretKeyRef; ref.Name != "sesame-creds" || ref.Key != "mk" {
		t.Errorf("master key from %s/%s", ref.Name, ref.Key)
	}
	if ref := env["SESAME_DATABASE_URL"].ValueFrom.SecretKeyRef; ref.Name != "sesame-creds" || ref.Key != "db" {
		t.Errorf("database URL from %s/%s", ref.Name, ref.Key)
	}
	if env["SESAME_SHUTDOWN_GRACE"].Value != "40s" || *dep.Spec.Template.Spec.TerminationGracePeriodSeconds < 5+40+10 {
		t.Errorf("grace %q, termination %d", env["SESAME_SHUTDOWN_GRACE"].Value, *dep.Spec.Template.Spec.TerminationGracePeriodSeconds)
	}
	if env["SESAME_LOG_RETENTION"].Value != "90d" {
		t.Errorf("log retention %q", env["SESAME_LOG_RETENTION"].Value)
	}
	if env["SESAME_TRUSTED_PROXIES"].Value != "10.0.0.0/8,192.168.0.0/16" || env["SESAME_METRICS_ADDR"].Value != ":9090" {
		t.Errorf("trusted proxies %q, metrics %q", env["SESAME_TRUSTED_PROXIES"].Value, env["SESAME_METRICS_ADDR"].Value)
	}

	ing := get[*networkingv1.Ingress](t, r, "Ingress/sesame")
	if len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].Host != "idp.example.com" || *ing.Spec.IngressClassName != "nginx" || len(ing.Spec.TLS) != 1 {
		t.Errorf("ingress = %+v", ing.Spec)
	} else if b := ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service; b.Name != "sesame" || b.Port.Name != "http" {
		t.Errorf("ingress backend = %+v", b)
	}
	svc := get[*corev1.Service](t, r, "Service/sesame")
	if len(svc.Spec.Ports) != 2 || svc.Spec.Ports[1].Name != "metrics" || svc.Spec.Ports[1].Port != 9090 {
		t.Errorf("service ports = %+v", svc.Spec.Ports)
	}
	sm := r.other["ServiceMonitor/sesame"]
	if dig(sm, "apiVersion") != "monitoring.coreos.com/v1" || dig(sm, "metadata", "labels", "release") != "prom" {
		t.Errorf("servicemonitor = %v", sm)
	}
	if eps, _ := dig(sm, "spec", "endpoints").([]any); len(eps) != 1 || dig(eps[0], "port") != "metrics" || dig(eps[0], "path") != "/metrics" {
		t.Errorf("servicemonitor endpoints = %v", dig(sm, "spec", "endpoints"))
	}

	// The migration Job: a hook before install and upgrade, `migrate up`,
	// the same secrets and the same security context as the pods.
	job := get[*batchv1.Job](t, r, "Job/sesame-migrate")
	if ev := r.hooks["Job/sesame-migrate"]; !slices.Equal(ev, []string{"pre-install", "pre-upgrade"}) {
		t.Errorf("hook events = %v", ev)
	}
	jc := job.Spec.Template.Spec.Containers[0]
	if !slices.Equal(jc.Args, []string{"migrate", "up"}) || jc.Image != c.Image || job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("job container %v %q, restart %s", jc.Args, jc.Image, job.Spec.Template.Spec.RestartPolicy)
	}
	if *jc.SecurityContext.ReadOnlyRootFilesystem != true || *job.Spec.Template.Spec.SecurityContext.RunAsUser != 65532 {
		t.Error("the Job runs without the pods' security context")
	}
	var jenv []string
	for _, e := range jc.Env {
		if e.ValueFrom != nil {
			jenv = append(jenv, e.Name+"="+e.ValueFrom.SecretKeyRef.Name+"/"+e.ValueFrom.SecretKeyRef.Key)
		}
	}
	if !slices.Equal(jenv, []string{"SESAME_DATABASE_URL=sesame-creds/db", "SESAME_MASTER_KEY=sesame-creds/mk"}) {
		t.Errorf("job secrets = %v", jenv)
	}

	// One replica: no disruption budget (it would block every drain).
	vals["replicaCount"] = 1
	r, err = template(t, vals)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.objs["PodDisruptionBudget/sesame"]; ok {
		t.Error("a PodDisruptionBudget for one replica")
	}
}

// TestHelmTemplateRefusals: a missing or wrong required value stops the
// rendering with a message that says what to set.
func TestHelmTemplateRefusals(t *testing.T) {
	with := func(k string, v any) map[string]any {
		m := baseValues()
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, c := range []struct {
		vals map[string]any
		want string
	}{
		{with("url", nil), "url is required"},
		{with("url", "https://idp.example.com/path"), "scheme and host only"},
		{with("masterKey", nil), "masterKey is required"},
		{with("databaseURL", nil), "databaseURL is required"},
		{with("databaseURL", "file:/data/sesame.db"), "replicas need PostgreSQL"},
		{with("migrations", map[string]any{"job": map[string]any{"enabled": true}}), "migrations.job.enabled needs existingSecret"},
		{with("metrics", map[string]any{"serviceMonitor": map[string]any{"enabled": true}}), "needs metrics.enabled"},
	} {
		_, err := template(t, c.vals)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.vals, err, c.want)
		}
	}
}
