function broken(user, context, callback) {
  const roles = user.roles || [];
  if (roles.length > 0 {
    callback(null, user, context);
  }
}
