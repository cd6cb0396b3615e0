/**
 * The admin console needs a verified email; other applications do not.
 * @param {Event} event
 * @param {PostLoginAPI} api
 */
exports.onExecutePostLogin = async (event, api) => {
  if (event.client.name === 'Admin Console' && !event.user.email_verified) {
    api.access.deny('Please verify your email before using the console.');
  }
};
