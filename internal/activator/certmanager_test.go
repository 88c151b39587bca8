package activator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
)

// issuedSecret is a Secret as cert-manager writes it: a leaf for hosts signed by the CA of
// caSecret, valid from notBefore for 90 days.
func issuedSecret(t *testing.T, caSecret *corev1.Secret, name string, notBefore time.Time, hosts ...string) *corev1.Secret {
	t.Helper()
	ca, err := ParseCASecret(caSecret)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: hosts[0]}, DNSNames: hosts,
		NotBefore: notBefore, NotAfter: notBefore.Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-ecs-system", Name: name, Labels: map[string]string{"apprunner.kube-ecs.io/certificate": "true"}},
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			corev1.TLSCertKey:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			corev1.TLSPrivateKeyKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		},
	}
}

func TestParseTLSSecretAndSelect(t *testing.T) {
	caSecret, _ := newTestCA(t, true)
	now := time.Now()
	parse := func(s *corev1.Secret) *tls.Certificate {
		t.Helper()
		c, err := ParseTLSSecret(s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	web := parse(issuedSecret(t, caSecret, "web", now.Add(-time.Hour), webHost))
	webNewer := parse(issuedSecret(t, caSecret, "web2", now.Add(-time.Minute), webHost))
	wildcard := parse(issuedSecret(t, caSecret, "wild", now.Add(-time.Hour), "*.team-b."+testDomain))
	future := parse(issuedSecret(t, caSecret, "future", now.Add(time.Hour), "later.team-a."+testDomain))

	tests := []struct {
		host string
		want *tls.Certificate
	}{
		{webHost, webNewer},                    // both cover it: the one that lasts longer
		{"api.team-b." + testDomain, wildcard}, // a wildcard SAN
		{"later.team-a." + testDomain, nil},    // not valid yet
		{"other.team-a." + testDomain, nil},    // no SAN covers it
	}
	all := []*tls.Certificate{web, webNewer, wildcard, future}
	for _, tt := range tests {
		if got := SelectCertificate(all, tt.host, now); got != tt.want {
			t.Errorf("SelectCertificate(%s) = %v, want %v", tt.host, got, tt.want)
		}
	}

	opaque := issuedSecret(t, caSecret, "opaque", now, webHost)
	opaque.Type = corev1.SecretTypeOpaque
	if _, err := ParseTLSSecret(opaque); err == nil {
		t.Error("an Opaque Secret was accepted")
	}
	broken := issuedSecret(t, caSecret, "broken", now, webHost)
	broken.Data[corev1.TLSPrivateKeyKey] = caSecret.Data[corev1.TLSPrivateKeyKey]
	if _, err := ParseTLSSecret(broken); err == nil {
		t.Error("a key that does not match the certificate was accepted")
	}
}

// TestHTTPSFromSecrets: with cert-manager's certificates, a handshake for a service host
// gets the certificate of its Secret, and fails while there is none.
func TestHTTPSFromSecrets(t *testing.T) {
	caSecret, pool := newTestCA(t, true)
	clk := clocktesting.NewFakePassiveClock(time.Now())
	r := NewRouter(10, time.Minute, clock.RealClock{})
	r.SetTable(Table{webHost: {Service: webKey}})
	certs := &SecretCertificates{Known: r.Known, Clock: clk}
	addr := serve(t, NewHTTPSServer("", NewHandler(r, testDomain, logr.Discard()), certs), true)
	dial := func(host string) (*tls.Conn, error) {
		return tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: host, Time: clk.Now})
	}
	if conn, err := dial(webHost); err == nil {
		_ = conn.Close()
		t.Error("the handshake succeeded before cert-manager issued a certificate")
	}
	secret := issuedSecret(t, caSecret, "apprunner-team-a-web", clk.Now().Add(-time.Minute), webHost)
	cert, err := ParseTLSSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	key := types.NamespacedName{Namespace: secret.Namespace, Name: secret.Name}
	certs.Set(key, cert)
	conn, err := dial(webHost)
	if err != nil {
		t.Fatalf("handshake for %s: %v", webHost, err)
	}
	if got := conn.ConnectionState().PeerCertificates[0].DNSNames; len(got) != 1 || got[0] != webHost {
		t.Errorf("served DNS names %q, want %s", got, webHost)
	}
	_ = conn.Close()
	if conn, err := dial("unknown.team-a." + testDomain); err == nil {
		_ = conn.Close()
		t.Error("a host with no service got a certificate")
	}
	certs.Set(key, nil)
	if conn, err := dial(webHost); err == nil {
		_ = conn.Close()
		t.Error("the handshake succeeded after the Secret was deleted")
	}
}
