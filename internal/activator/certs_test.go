package activator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// newTestCA is a CA Secret exactly as the manager writes it (apprunner.NewCA and
// CASecretData), so these tests also hold the activator to the manager's format. With isCA
// false it is a certificate that is no CA, which the activator must refuse.
func newTestCA(t *testing.T, isCA bool) (*corev1.Secret, *x509.CertPool) {
	t.Helper()
	crt, key, err := apprunner.NewCA(rand.Reader, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !isCA {
		crt, key = notCA(t)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-ecs-system", Name: "kube-ecs-apprunner-ca"},
		Type:       corev1.SecretTypeTLS,
		Data:       apprunner.CASecretData(crt, key),
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(crt)
	return secret, pool
}

// notCA is a self-signed certificate with CA:false and its PKCS#8 key, in PEM.
func notCA(t *testing.T) (crt, key []byte) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not a CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
}

func TestParseCASecret(t *testing.T) {
	secret, _ := newTestCA(t, true)
	ca, err := ParseCASecret(secret)
	if err != nil || ca.Cert.Subject.CommonName != "kube-ecs App Runner CA" {
		t.Fatalf("ParseCASecret: %v %v", ca, err)
	}
	notCA, _ := newTestCA(t, false)
	if _, err := ParseCASecret(notCA); err == nil || !strings.Contains(err.Error(), "not a CA") {
		t.Errorf("a leaf certificate as CA: %v", err)
	}
	secret.Data[corev1.TLSPrivateKeyKey] = notCA.Data[corev1.TLSPrivateKeyKey]
	if _, err := ParseCASecret(secret); err == nil {
		t.Error("a key that does not match the certificate was accepted")
	}
}

// TestHTTPS: a client that trusts the CA reaches a service host over HTTPS and HTTP/2 with a
// certificate for that host; unknown hosts and a missing CA fail the handshake.
func TestHTTPS(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "proto=%s host=%s", r.Header.Get("X-Forwarded-Proto"), r.Host)
	}))
	defer backend.Close()
	secret, pool := newTestCA(t, true)
	ca, err := ParseCASecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktesting.NewFakePassiveClock(time.Now())
	r := NewRouter(10, time.Minute, clock.RealClock{})
	r.SetTable(Table{webHost: {Service: webKey, Backends: []string{backendAddr(backend)}}, "idle.team-a." + testDomain: {Service: webKey}})
	certs := &Certificates{Known: r.Known, Clock: clk}
	addr := serve(t, NewHTTPSServer("", NewHandler(r, testDomain, logr.Discard()), certs), true)

	dial := func(host string) (*tls.Conn, error) {
		return tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: host, Time: clk.Now})
	}
	if conn, err := dial(webHost); err == nil {
		_ = conn.Close()
		t.Error("the handshake succeeded before there was a CA")
	}
	if !certs.SetCA(ca) || certs.SetCA(ca) {
		t.Error("SetCA does not tell a new CA from the same one")
	}

	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: webHost}, ForceAttemptHTTP2: true,
	}}
	req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/", nil)
	req.Host = webHost
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "proto=https host="+webHost {
		t.Errorf("got %d %q", resp.StatusCode, body)
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("negotiated %s, want HTTP/2", resp.Proto)
	}
	leaf := resp.TLS.PeerCertificates[0]
	if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != webHost {
		t.Errorf("certificate SANs %v, want [%s]", leaf.DNSNames, webHost)
	}
	if _, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || leaf.NotAfter.Sub(leaf.NotBefore) < 89*24*time.Hour {
		t.Errorf("certificate key %T valid %s to %s", leaf.PublicKey, leaf.NotBefore, leaf.NotAfter)
	}

	// The same certificate until it nears its end, then a new one.
	conn, err := dial(webHost)
	if err != nil {
		t.Fatal(err)
	}
	again := conn.ConnectionState().PeerCertificates[0]
	_ = conn.Close()
	if again.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Error("a second handshake got a new certificate: they are cached per host")
	}
	clk.SetTime(clk.Now().Add(61 * 24 * time.Hour))
	if conn, err = dial(webHost); err != nil {
		t.Fatal(err)
	}
	renewed := conn.ConnectionState().PeerCertificates[0]
	_ = conn.Close()
	if renewed.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
		t.Error("a certificate 29 days from its end was not renewed")
	}

	for _, host := range []string{"nope.team-a." + testDomain, "example.org", ""} {
		if conn, err := dial(host); err == nil {
			_ = conn.Close()
			t.Errorf("server name %q: handshake succeeded", host)
		}
	}
	if conn, err := dial("idle.team-a." + testDomain); err != nil {
		t.Errorf("a routed host with no instance: %v", err)
	} else {
		_ = conn.Close()
	}
}
