package app

import (
	v5 "github.com/okta/okta-sdk-golang/v5/okta"
	v6 "github.com/okta/okta-sdk-golang/v6/okta"
)

// Request models for the user credential calls, built with the SDKs' own
// types so that what is sent is what the SDK would send.

// v5's ReplaceUser takes a whole User; only credentials are set.
func v5UpdatePassword(pw string) v5.User {
	return v5.User{Credentials: &v5.UserCredentials{Password: &v5.PasswordCredential{Value: &pw}}}
}

func v6UpdatePassword(pw string) v6.UpdateUserRequest {
	return v6.UpdateUserRequest{Credentials: &v6.UserCredentials{Password: &v6.PasswordCredential{Value: &pw}}}
}

func v5Recovery(pw, q, a string) v5.UserCredentials {
	return v5.UserCredentials{Password: &v5.PasswordCredential{Value: &pw}, RecoveryQuestion: &v5.RecoveryQuestionCredential{Question: &q, Answer: &a}}
}

func v6Recovery(pw, q, a string) v6.UserCredentials {
	return v6.UserCredentials{Password: &v6.PasswordCredential{Value: &pw}, RecoveryQuestion: &v6.RecoveryQuestionCredential{Question: &q, Answer: &a}}
}
