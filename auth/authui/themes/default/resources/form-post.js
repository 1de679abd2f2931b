// Submits the form_post response to the application at once. Without
// JavaScript the page shows a Continue button that does the same.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("form-post");
  if (form) { form.submit(); }
});
