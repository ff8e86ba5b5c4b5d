/* Presigned uploads, one script for every form that sends a file (included once by base.html,
   inside its nonce'd script element). A file input takes part when it carries:
     data-upload    the JSON route that answers a presigned S3 POST for {filename, size, content_type}
     data-key       (optional) a manage token, sent as "Authorization: Bearer"
     data-file-key  the id of the form's hidden `file_key` input (filled once the file is up)
     data-status    the id of the line that says how the upload goes
   On submit: a chosen file not uploaded yet is uploaded first (at most 10 MB), then the form
   is sent with its file_key; without a file the form goes as it is. */
(function () {
  var MAX_BYTES = 10 * 1024 * 1024;
  document.querySelectorAll("input[type=file][data-upload]").forEach(function (input) {
    var form = input.form;
    var status = document.getElementById(input.dataset.status);
    var fileKey = document.getElementById(input.dataset.fileKey);
    if (!form || !status || !fileKey) { return; }
    form.addEventListener("submit", function (event) {
      var file = input.files[0];
      if (!file || fileKey.value) { return; }
      event.preventDefault();
      if (file.size > MAX_BYTES) { status.textContent = "That file is over 10 MB."; return; }
      status.textContent = "Uploading " + file.name + "…";
      var headers = {"Content-Type": "application/json"};
      if (input.dataset.key) { headers.Authorization = "Bearer " + input.dataset.key; }
      fetch(input.dataset.upload, {method: "POST", headers: headers,
        body: JSON.stringify({filename: file.name, size: file.size, content_type: file.type})})
        .then(function (r) { return r.json().then(function (b) { if (!r.ok) { throw b; } return b; }); })
        .then(function (target) {
          var data = new FormData();
          Object.keys(target.fields).forEach(function (k) { data.append(k, target.fields[k]); });
          data.append("file", file);
          return fetch(target.url, {method: "POST", body: data}).then(function (r) {
            if (!r.ok) { throw {errors: [{message: "The upload failed."}]}; }
            fileKey.value = target.file_key;
            status.textContent = "Uploaded " + file.name + ".";
            form.submit();
          });
        })
        .catch(function (b) { status.textContent = (b.errors && b.errors[0].message) || "The upload failed."; });
    });
  });
})();
