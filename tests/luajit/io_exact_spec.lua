-- The io items of lua-api.md "Exact behaviours that are easy to miss"
-- (issue 11): what a program written for the original levee observes.
local ffi = require("ffi")
local levee = require("levee")
local d = levee.d
local errors = levee.errors

-- Lets the hub run until the reader has taken n bytes into buf, bumped
-- (#buf) or not (they show at buf's tail): the number in view.
local function settle(h, buf, n)
  for _ = 1, 200 do
    local p = buf:tail()
    if #buf >= n or (p ~= nil and ffi.string(p, n) ~= ("\0"):rep(n)) then break end
    h:sleep(1)
  end
  return #buf
end

-- A buffer whose tail is zeroed, so bytes read into it show.
local function zeroed(n)
  local buf = d.Buffer(n)
  local p, avail = buf:tail()
  ffi.fill(p, avail)
  return buf
end

describe("readinto and readin with n", function()
  it("r:readinto(buf, n) grows #buf only once n bytes arrived", function()
    local h = levee.Hub()
    local r, w = h.io:pipe()
    local buf = zeroed(64)
    local done = false
    h:spawn(function()
      assert.is_nil(r:readinto(buf, 6))
      done = true
    end)
    w:write("abc")
    assert.equal(0, settle(h, buf, 3))  -- three bytes arrived, none in view
    assert.equal("abc", ffi.string(buf:tail(), 3))
    assert.is_false(done)
    w:write("def")
    for _ = 1, 200 do if done then break end h:sleep(1) end
    assert.is_true(done)
    assert.equal("abcdef", buf:peek())
    r:close() w:close()
  end)

  it("stream:readin(n) grows the stream's buffer only once n bytes arrived", function()
    local h = levee.Hub()
    local r, w = h.io:pipe()
    local s = r:stream()
    s.buf = zeroed(64)
    local done = false
    h:spawn(function()
      assert.is_nil(s:readin(5))
      done = true
    end)
    w:write("ab")
    assert.equal(0, settle(h, s.buf, 2))
    assert.is_false(done)
    w:write("cdefg")
    for _ = 1, 200 do if done then break end h:sleep(1) end
    assert.is_true(done)
    assert.equal("abcdefg", s.buf:peek())  -- it may read past n
    r:close() w:close()
  end)

  it("a timeout keeps the bytes that arrived", function()
    local h = levee.Hub()
    local r, w = h.io:pipe(20)
    local buf = d.Buffer(64)
    w:write("xy")
    assert.equal(errors.TIMEOUT, r:readinto(buf, 4))
    assert.equal("xy", buf:peek())
    w:write("zw")
    assert.is_nil(r:readinto(buf, 4))
    assert.equal("xyzw", buf:peek())
    r:close() w:close()
  end)
end)

describe("stream:readinto(buf, n)", function()
  it("moves the buffered bytes, then reads exactly the missing ones", function()
    local h = levee.Hub()
    local r, w = h.io:pipe(50)
    local s = r:stream()
    w:write("ab")
    assert.is_nil(s:readin())
    assert.equal(2, #s.buf)
    w:write("cdefgh")
    local dst = d.Buffer(64)
    assert.is_nil(s:readinto(dst, 5))
    assert.equal("abcde", dst:peek())
    assert.equal(0, #s.buf)  -- no surplus left in the stream
    -- so the rest is still on the fd, and a readin does not block
    assert.is_nil(s:readin())
    assert.equal("fgh", s.buf:peek())
    r:close() w:close()
  end)
end)

describe("io.W:send_msgpack", function()
  it("msgpack-encodes a value and queues it for writing", function()
    local h = levee.Hub()
    local r, w = h.io:pipe()
    assert.is_nil(w:send_msgpack({1, "two", {three = 3}}))
    local err, value = r:stream():msgpack()
    assert.is_nil(err)
    assert.same({1, "two", {three = 3}}, value)
    r:close() w:close()
  end)
end)

describe("Chunk:splice", function()
  it("after a failed write leaves the unsent bytes unread", function()
    local h = levee.Hub()
    local r, w = h.io:pipe()
    local tr, tw = h.io:pipe()
    tr:close()
    h:continue()
    local s = r:stream()
    w:write("0123")
    assert.is_nil(s:readin(4))
    local chunk = s:chunk(10)
    local err = chunk:splice(tw)
    assert.equal(errors.system.EPIPE, err)
    local _, n = chunk:value()
    assert.equal(0, n)  -- the bytes it tried to send are consumed
    assert.equal(6, #chunk)
    w:write("456789")
    assert.is_nil(chunk:readin(6))
    local p
    p, n = chunk:value()
    assert.equal("456789", ffi.string(p, n))
    r:close() w:close()
  end)

  it("moves a large unbuffered chunk through splice(2), then the stream goes on", function()
    local h = levee.Hub()
    local r, w = h.io:socketpair()
    local tr, tw = h.io:socketpair()
    local big = ("0123456789abcdef"):rep(8192)  -- 128 KiB
    h:spawn(function() w:write(big .. "tail") end)
    local s = r:stream()
    local got = d.Buffer(#big)
    h:spawn(function()
      while #got < #big do
        if tr:readinto(got) then break end
      end
    end)
    local err, n = s:chunk(#big):splice(tw)
    assert.is_nil(err)
    assert.equal(#big, n)
    h:sleep(20)
    assert.equal(#big, #got)
    assert.is_true(got:peek() == big)
    assert.equal("tail", s:take(4))
    r:close() w:close() tr:close() tw:close()
  end)
end)

describe("h:register on a pipe read end", function()
  it("gives -1 on r_ev once the writer closes", function()
    local h = levee.Hub()
    local fds = ffi.new("int32_t[2]")
    assert(require("levee.lib").levee_fd_pipe(fds, 1) == 0)
    local r_ev = h:register(fds[0], true, true)
    require("levee.lib").levee_fd_close(fds[1])
    local err, _, value = r_ev:recv(1000)
    assert.is_nil(err)
    assert.equal(-1, value)
    h:unregister(fds[0])
  end)
end)
