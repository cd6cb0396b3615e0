function tagEnvironment(user, context, callback) {
  context.idToken['https://example.com/env'] = configuration.ENVIRONMENT || 'unknown';
  callback(null, user, context);
}
