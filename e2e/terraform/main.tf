# The configuration of issue 11's "Done when": a typical OIDC setup as a team
# keeps it in Terraform. e2e/terraform/check.sh applies it to a throw-away
# Sesame with the real okta/okta provider, checks that a second plan is clean,
# and destroys it.

terraform {
  required_providers {
    okta = {
      source = "okta/okta"
    }
  }
}

variable "sesame_url" {
  type = string
}

variable "api_token" {
  type      = string
  sensitive = true
}

# The modulus of the bot's RSA public key (check.sh makes the pair with
# `sesame keys generate`).
variable "bot_key_n" {
  type = string
}

provider "okta" {
  # http_proxy replaces https://{org_name}.{base_url}: every SDK inside the
  # provider sends its requests to Sesame on plain-http loopback.
  org_name   = "sesame"
  base_url   = "localhost"
  http_proxy = var.sesame_url
  api_token  = var.api_token
}

resource "okta_group" "engineers" {
  name        = "Engineers"
  description = "People who build the product"
}

resource "okta_user" "ada" {
  first_name = "Ada"
  last_name  = "Lovelace"
  login      = "ada@example.com"
  email      = "ada@example.com"
}

resource "okta_user" "grace" {
  first_name = "Grace"
  last_name  = "Hopper"
  login      = "grace@example.com"
  email      = "grace@example.com"
}

resource "okta_group_memberships" "engineers" {
  group_id = okta_group.engineers.id
  users    = [okta_user.ada.id, okta_user.grace.id]
}

# A single-page app as the provider's examples write it: no
# token_endpoint_auth_method, so the provider sends its default.
resource "okta_app_oauth" "spa" {
  label                     = "Team SPA"
  type                      = "browser"
  grant_types               = ["authorization_code", "refresh_token"]
  response_types            = ["code"]
  redirect_uris             = ["http://localhost:3000/callback"]
  post_logout_redirect_uris = ["http://localhost:3000/"]
  pkce_required             = true
  refresh_token_rotation    = "ROTATE"
  refresh_token_leeway      = 30
}

resource "okta_app_group_assignment" "spa_engineers" {
  app_id   = okta_app_oauth.spa.id
  group_id = okta_group.engineers.id
}

resource "okta_trusted_origin" "spa" {
  name   = "Team SPA"
  origin = "http://localhost:3000"
  scopes = ["CORS", "REDIRECT"]
}

resource "okta_auth_server" "api" {
  name        = "Team API"
  description = "Tokens for the team's API"
  audiences   = ["api://team"]
  issuer_mode = "ORG_URL"
}

resource "okta_auth_server_scope" "read" {
  auth_server_id   = okta_auth_server.api.id
  name             = "team:read"
  description      = "Read the team's data"
  consent          = "IMPLICIT"
  default          = true
  metadata_publish = "ALL_CLIENTS"
}

resource "okta_auth_server_claim" "groups" {
  auth_server_id          = okta_auth_server.api.id
  name                    = "groups"
  claim_type              = "IDENTITY"
  value_type              = "GROUPS"
  group_filter_type       = "STARTS_WITH"
  value                   = "Eng"
  always_include_in_token = true
}

resource "okta_auth_server_policy" "spa" {
  auth_server_id   = okta_auth_server.api.id
  name             = "Team SPA"
  description      = "The SPA's engineers"
  priority         = 1
  client_whitelist = [okta_app_oauth.spa.client_id]
}

resource "okta_auth_server_policy_rule" "engineers" {
  auth_server_id       = okta_auth_server.api.id
  policy_id            = okta_auth_server_policy.spa.id
  name                 = "Engineers"
  priority             = 1
  grant_type_whitelist = ["authorization_code"]
  group_whitelist      = [okta_group.engineers.id]
  scope_whitelist      = ["*"]
}

resource "okta_app_oauth" "bot" {
  label                      = "Ingestion bot"
  type                       = "service"
  grant_types                = ["client_credentials"]
  response_types             = ["token"]
  token_endpoint_auth_method = "private_key_jwt"

  jwks {
    kty = "RSA"
    kid = "bot-key"
    e   = "AQAB"
    n   = var.bot_key_n
  }
}

resource "okta_app_oauth_api_scope" "bot" {
  app_id = okta_app_oauth.bot.id
  issuer = var.sesame_url
  scopes = ["okta.users.read", "okta.clients.read"]
}

resource "okta_user_schema_property" "team" {
  index       = "team"
  title       = "Team"
  type        = "string"
  description = "The team a person works in"
  master      = "PROFILE_MASTER"
}

# A group rule: people are put in the group by an expression over their
# profile, not one by one.
resource "okta_group" "lovelaces" {
  name        = "Lovelaces"
  description = "Filled by a group rule"
}

resource "okta_group_rule" "lovelaces" {
  name              = "Lovelaces"
  status            = "ACTIVE"
  group_assignments = [okta_group.lovelaces.id]
  expression_type   = "urn:okta:expression:1.0"
  expression_value  = "user.lastName==\"Lovelace\""
}
