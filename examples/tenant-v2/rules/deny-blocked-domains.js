function denyBlockedDomains(user, context, callback) {
  const blocked = ['mailinator.com', 'example.invalid'];
  const domain = (user.email || '').split('@').pop().toLowerCase();
  if (blocked.indexOf(domain) !== -1) {
    return callback(new UnauthorizedError('Sign-ups from ' + domain + ' are not allowed'));
  }
  callback(null, user, context);
}
