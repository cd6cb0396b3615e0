/**
 * Machine-to-machine tokens say which client and team asked; a client whose metadata says
 * `suspended: "true"` gets none.
 * @param {Event} event
 * @param {CredentialsExchangeAPI} api
 */
exports.onExecuteCredentialsExchange = async (event, api) => {
  const metadata = event.client.metadata || {};
  if (metadata.suspended === 'true') {
    api.access.deny('invalid_request', `${event.client.name} is suspended`);
    return;
  }
  api.accessToken.setCustomClaim('https://example.com/client', event.client.name);
  if (metadata.team) {
    api.accessToken.setCustomClaim('https://example.com/team', metadata.team);
  }
};
