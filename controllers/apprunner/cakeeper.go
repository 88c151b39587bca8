package apprunner

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// The CA keeper reads and creates one Secret in the manager's namespace, live (the manager
// caches no Secret, so it needs neither list nor watch).
// +kubebuilder:rbac:groups="",namespace=kube-ecs-system,resources=secrets,verbs=get;create

// DefaultCACheckInterval is how often the CA keeper checks that the CA Secret still exists.
const DefaultCACheckInterval = 5 * time.Minute

// CAKeeper makes sure the App Runner CA Secret exists: a kubernetes.io/tls Secret whose
// tls.crt and ca.crt hold a self-signed CA certificate and tls.key its key, which the
// activator signs each service host's certificate with. It creates the Secret when it is
// missing (at start, then at each check) and never replaces one: rotating the CA is an
// operator's decision (delete the Secret; the activators pick up the new one).
type CAKeeper struct {
	// Client creates the Secret; Reader reads it live (the manager's APIReader).
	Client client.Client
	Reader client.Reader
	Secret types.NamespacedName
	Clock  clock.PassiveClock
	// Rand draws the key (crypto/rand when nil).
	Rand io.Reader
	// Interval between checks (DefaultCACheckInterval when 0).
	Interval time.Duration
}

// NeedLeaderElection makes only the leader create the Secret.
func (k *CAKeeper) NeedLeaderElection() bool { return true }

// Start checks the Secret until ctx ends, retrying a failed check sooner.
func (k *CAKeeper) Start(ctx context.Context) error {
	interval := k.Interval
	if interval <= 0 {
		interval = DefaultCACheckInterval
	}
	logger := log.FromContext(ctx).WithValues("secret", k.Secret.String())
	for {
		wait := interval
		if _, err := k.Ensure(ctx); err != nil {
			logger.Error(err, "Ensuring the App Runner CA Secret")
			wait = min(interval, 5*time.Second)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// Ensure creates the CA Secret when it does not exist; created says it did. An existing
// Secret is left as it is, even one that holds no usable CA (the error says so).
func (k *CAKeeper) Ensure(ctx context.Context) (created bool, err error) {
	cur := &corev1.Secret{}
	err = k.Reader.Get(ctx, k.Secret, cur)
	if err == nil {
		if len(cur.Data[corev1.TLSCertKey]) == 0 || len(cur.Data[corev1.TLSPrivateKeyKey]) == 0 {
			return false, fmt.Errorf("secret %s exists without %s and %s: kube-ecs does not replace it; delete it to have a new CA created",
				k.Secret, corev1.TLSCertKey, corev1.TLSPrivateKeyKey)
		}
		return false, nil
	}
	if !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("reading secret %s: %w", k.Secret, err)
	}
	random := k.Rand
	if random == nil {
		random = rand.Reader
	}
	certPEM, keyPEM, err := apprunner.NewCA(random, k.Clock.Now())
	if err != nil {
		return false, err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: k.Secret.Name, Namespace: k.Secret.Namespace,
			Labels: map[string]string{apprunner.ManagedByLabel: apprunner.ManagedByValue},
		},
		Type: corev1.SecretTypeTLS,
		Data: apprunner.CASecretData(certPEM, keyPEM),
	}
	if err := k.Client.Create(ctx, secret); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return false, nil // created meanwhile (by a previous leader): never replaced
		}
		return false, fmt.Errorf("creating secret %s: %w", k.Secret, err)
	}
	log.FromContext(ctx).Info("Created the App Runner CA", "secret", k.Secret.String())
	return true, nil
}
