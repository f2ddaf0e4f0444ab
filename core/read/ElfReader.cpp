#include "core/read/ElfReader.h"

#include <fmt/format.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

namespace aotiscope {

namespace {

class File {
public:
    explicit File(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)) {
        struct stat st {};
        if (fd_ >= 0 && ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
            size_ = std::uint64_t(st.st_size);
        }
    }
    ~File() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    bool ok() const { return fd_ >= 0; }
    std::uint64_t size() const { return size_; }
    // Reads [offset, offset+n) or fails when the range leaves the file (a truncated or hostile header).
    bool read(std::uint64_t offset, std::uint64_t n, void* out) const {
        if (offset > size_ || n > size_ - offset) {
            return false;
        }
        auto got = ::pread(fd_, out, n, off_t(offset));
        return got == ssize_t(n);
    }
    bool read(std::uint64_t offset, std::uint64_t n, std::vector<char>& out) const {
        out.resize(n);
        return read(offset, n, out.data());
    }

private:
    int fd_;
    std::uint64_t size_ = 0;
};

std::string stringAt(const std::vector<char>& table, std::uint64_t offset) {
    if (offset >= table.size()) {
        return {};
    }
    const char* s = table.data() + offset;
    return std::string(s, strnlen(s, table.size() - offset));
}

const char* machineName(unsigned m) {
    switch (m) {
    case EM_X86_64: return "x86_64";
    case EM_AARCH64: return "aarch64";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390x";
    case EM_386: return "i386";
    case EM_RISCV: return "riscv";
    default: return "unknown";
    }
}

} // namespace

ElfSummary readElfSummary(const std::string& path) {
    ElfSummary s;
    File f(path);
    if (!f.ok()) {
        s.error = fmt::format("cannot open {}: {}", path, std::strerror(errno));
        return s;
    }
    Elf64_Ehdr eh{};
    if (!f.read(0, sizeof eh, &eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
        s.error = "not an ELF file";
        return s;
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
        s.error = "not a 64-bit little-endian ELF file";
        return s;
    }
    s.machine = machineName(eh.e_machine);
    if (eh.e_type != ET_DYN) {
        s.error = "ELF file is not a shared object";
        return s;
    }
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > 65000) {
        s.error = "ELF section table missing or malformed";
        return s;
    }
    std::vector<Elf64_Shdr> sections(eh.e_shnum);
    if (!f.read(eh.e_shoff, std::uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr), sections.data())) {
        s.error = "ELF section table lies outside the file (truncated?)";
        return s;
    }
    auto linkedStrings = [&](const Elf64_Shdr& sh, std::vector<char>& out) {
        return sh.sh_link < sections.size() && f.read(sections[sh.sh_link].sh_offset, sections[sh.sh_link].sh_size, out);
    };
    for (const auto& sh : sections) {
        if (sh.sh_type == SHT_DYNAMIC) {
            std::vector<char> strtab;
            std::vector<Elf64_Dyn> dyn(sh.sh_size / sizeof(Elf64_Dyn));
            if (!linkedStrings(sh, strtab) || !f.read(sh.sh_offset, dyn.size() * sizeof(Elf64_Dyn), dyn.data())) {
                s.error = "ELF dynamic section lies outside the file (truncated?)";
                return s;
            }
            std::string runpath, rpath;
            for (const auto& d : dyn) {
                if (d.d_tag == DT_NULL) {
                    break;
                }
                if (d.d_tag == DT_NEEDED) {
                    s.needed.push_back(stringAt(strtab, d.d_un.d_val));
                } else if (d.d_tag == DT_RUNPATH) {
                    runpath = stringAt(strtab, d.d_un.d_val);
                } else if (d.d_tag == DT_RPATH) {
                    rpath = stringAt(strtab, d.d_un.d_val);
                }
            }
            // ld.so ignores DT_RPATH when DT_RUNPATH is present.
            const std::string& paths = runpath.empty() ? rpath : runpath;
            std::size_t start = 0;
            while (start <= paths.size() && !paths.empty()) {
                auto end = paths.find(':', start);
                auto part = paths.substr(start, end == std::string::npos ? std::string::npos : end - start);
                if (!part.empty()) {
                    s.runPaths.push_back(part);
                }
                if (end == std::string::npos) {
                    break;
                }
                start = end + 1;
            }
        } else if (sh.sh_type == SHT_GNU_verneed || sh.sh_type == SHT_GNU_verdef) {
            // Symbol versions: what the loader checks against the libraries it finds ("version `GLIBC_2.38' not
            // found"). Walked with every offset checked: a hostile file cannot make us read past what we hold.
            std::vector<char> strtab, data;
            data.resize(std::size_t(std::min<std::uint64_t>(sh.sh_size, 1u << 24)));
            if (!linkedStrings(sh, strtab) || !f.read(sh.sh_offset, data.size(), data.data())) {
                s.error = "ELF symbol version section lies outside the file (truncated?)";
                return s;
            }
            auto fits = [&](std::size_t at, std::size_t n) { return at <= data.size() && n <= data.size() - at; };
            std::size_t at = 0;
            for (unsigned i = 0; i < std::min<unsigned>(unsigned(sh.sh_info), 4096) && fits(at, 16); ++i) {
                if (sh.sh_type == SHT_GNU_verneed) {
                    Elf64_Verneed vn{};
                    std::memcpy(&vn, data.data() + at, sizeof vn);
                    auto file = stringAt(strtab, vn.vn_file);
                    std::size_t aux = at + vn.vn_aux;
                    for (unsigned k = 0; k < vn.vn_cnt && fits(aux, sizeof(Elf64_Vernaux)); ++k) {
                        Elf64_Vernaux va{};
                        std::memcpy(&va, data.data() + aux, sizeof va);
                        s.neededVersions.push_back(file + ":" + stringAt(strtab, va.vna_name));
                        if (va.vna_next == 0) break;
                        aux += va.vna_next;
                    }
                    if (vn.vn_next == 0) break;
                    at += vn.vn_next;
                } else {
                    Elf64_Verdef vd{};
                    std::memcpy(&vd, data.data() + at, sizeof vd);
                    if (!(vd.vd_flags & VER_FLG_BASE) && fits(at + vd.vd_aux, sizeof(Elf64_Verdaux))) {
                        Elf64_Verdaux vda{};
                        std::memcpy(&vda, data.data() + at + vd.vd_aux, sizeof vda);
                        s.definedVersions.push_back(stringAt(strtab, vda.vda_name));
                    }
                    if (vd.vd_next == 0) break;
                    at += vd.vd_next;
                }
            }
        } else if (sh.sh_type == SHT_DYNSYM) {
            std::vector<char> strtab;
            std::vector<Elf64_Sym> syms(sh.sh_size / sizeof(Elf64_Sym));
            if (!linkedStrings(sh, strtab) || !f.read(sh.sh_offset, syms.size() * sizeof(Elf64_Sym), syms.data())) {
                s.error = "ELF dynamic symbol table lies outside the file (truncated?)";
                return s;
            }
            for (const auto& sym : syms) {
                if (sym.st_shndx == SHN_UNDEF || ELF64_ST_TYPE(sym.st_info) != STT_FUNC) {
                    continue;
                }
                auto name = stringAt(strtab, sym.st_name);
                if (name.starts_with("AOTInductor")) {
                    s.aotiSymbols.push_back(std::move(name));
                }
            }
        }
    }
    s.isElf = true;
    return s;
}

} // namespace aotiscope
