/**
 * The login's country and the user's roles become claims; the first login is remembered.
 * @param {Event} event
 * @param {PostLoginAPI} api
 */
exports.onExecutePostLogin = async (event, api) => {
  const ns = 'https://example.com/';
  const country = event.request.geoip && event.request.geoip.countryName;
  if (country) {
    api.idToken.setCustomClaim(`${ns}country`, country);
  }
  const roles = (event.authorization && event.authorization.roles) || [];
  api.accessToken.setCustomClaim(`${ns}roles`, roles);
  if (!event.user.app_metadata.first_login_at) {
    api.user.setAppMetadata('first_login_at', event.authentication.methods[0].timestamp);
  }
};
