package config

import "testing"

func TestValidate(t *testing.T) {
	ok := Config{Addr: "localhost:8080", URL: "https://idp.example.com/", DataDir: "d"}
	if err := ok.Validate(); err != nil || ok.URL != "https://idp.example.com" {
		t.Fatalf("valid config refused or not normalized: %v %q", err, ok.URL)
	}
	mail := Config{Addr: "localhost:8080", URL: "https://idp.example.com", DataDir: "d", SMTPURL: "smtps://u:p@mail.example.com", SMTPFrom: "Acme <idp@example.com>"}
	if err := mail.Validate(); err != nil {
		t.Fatalf("valid SMTP settings refused: %v", err)
	}
	bad := []Config{
		{Addr: "8080", URL: "http://x", DataDir: "d"},
		{Addr: ":8080", URL: "ftp://x", DataDir: "d"},
		{Addr: ":8080", URL: "http://x/path", DataDir: "d"},
		{Addr: ":8080", URL: "http://x?q=1", DataDir: "d"},
		{Addr: ":8080", URL: "http://u:p@x", DataDir: "d"},
		{Addr: ":8080", URL: "http://x", DataDir: "d", DatabaseURL: "mysql://x"},
		{Addr: ":8080", URL: "http://x"},
		{Addr: ":8080", URL: "http://x", DataDir: "d", SMTPURL: "smtp://mail.example.com"},
		{Addr: ":8080", URL: "http://x", DataDir: "d", SMTPURL: "smtp://mail.example.com?starttls=off", SMTPFrom: "a@b.c"},
		{Addr: ":8080", URL: "http://x", DataDir: "d", SMTPURL: "smtp://mail.example.com", SMTPFrom: "nobody"},
		{Addr: ":8080", URL: "http://x", DataDir: "d", SMTPFrom: "a@b.c"},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("accepted %+v", c)
		}
	}
}
