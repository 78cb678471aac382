-- A group's custom profile attributes (okta_group's custom_profile_attributes):
-- every profile member besides name and description, as a JSON object.
ALTER TABLE groups ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';
